"""Component ids, one constant each, so layouts, callbacks and browser tests agree on them."""

from __future__ import annotations

# --- shell (every page) ---------------------------------------------------------------------------------
REFRESH = "refresh-interval"  # server refresh of figures and tables
TICK = "tick-interval"  # 1 s, browser only: countdowns and the clock
CLOCK = "header-clock"
NAV = "nav"
USER_BADGE = "user-badge"
LOGOUT = "logout-button"

# --- overview --------------------------------------------------------------------------------------------
OV_WINDOW = "overview-window"
OV_CARDS = "overview-cards"
OV_RISK = "overview-risk-trend"
OV_KINDS = "overview-kinds"
OV_SENTIMENT = "overview-sentiment"
OV_TOPICS = "overview-topics"
OV_TAGS = "overview-tags"
OV_REGIONS = "overview-regions"
OV_EVENTS = "overview-rising-events"
OV_UPDATED = "overview-updated"
OV_NAV = "overview-nav"

# --- alerts ----------------------------------------------------------------------------------------------
AL_STATES = "alerts-states"
AL_LEVELS = "alerts-levels"
AL_QUEUE = "alerts-queue"
AL_COUNTDOWNS = "alerts-countdown-data"  # dcc.Store: deadlines for the clientside countdown
COUNTDOWN = "countdown"  # pattern-matching type: {"type": COUNTDOWN, "index": alert_id}
ALERT_CARD = "alert-card"  # pattern-matching type: {"type": ALERT_CARD, "index": alert_id}
AL_SELECTED = "alerts-selected"  # dcc.Store: the selected alert id
AL_DETAIL = "alerts-detail"
AL_HISTORY = "alerts-history"
AL_COMMENT = "alerts-comment"
AL_DEPARTMENT = "alerts-department"
AL_RESPONSE_TEXT = "alerts-response-text"
AL_EXTEND_AMOUNT = "alerts-extend-amount"
AL_SILENCE_MINUTES = "alerts-silence-minutes"
AL_INSTRUCTION = "alerts-instruction"
AL_ACK = "alerts-ack"
AL_ASSIGN = "alerts-assign"
AL_RESPOND = "alerts-respond"
AL_EXTEND = "alerts-extend"
AL_RESOLVE = "alerts-resolve"
AL_SILENCE = "alerts-silence"
AL_INSTRUCT = "alerts-instruct"
AL_MESSAGE = "alerts-message"
AL_VERSION = "alerts-version"  # dcc.Store bumped after each action, to refresh at once
AL_ACTIONS = "alerts-actions"
AL_LOCATION = "alerts-location"

# --- events ----------------------------------------------------------------------------------------------
EV_LIST = "events-list"
EV_LOCATION = "events-location"
EV_HEADER = "event-header"
EV_TIMELINE = "event-timeline"
EV_SENTIMENT = "event-sentiment"
EV_TREND = "event-trend"
EV_ITEMS = "event-items"
EV_ALERTS = "event-alerts"
EV_TASKS = "event-tasks"
EV_HISTORY = "event-history"
EV_ID = "event-id"  # dcc.Store

# --- items -----------------------------------------------------------------------------------------------
IT_TEXT = "items-text"
IT_DATES = "items-dates"
IT_SOURCES = "items-sources"
IT_KINDS = "items-kinds"
IT_TOPICS = "items-topics"
IT_TAG = "items-tag"
IT_SENTIMENTS = "items-sentiments"
IT_REGIONS = "items-regions"
IT_RISK = "items-risk"
IT_REPLY = "items-reply"
IT_RESET = "items-reset"
IT_GRID = "items-grid"
IT_COUNT = "items-count"
IT_DETAIL = "items-detail"
IT_SELECTED = "items-selected"
IT_EXPORT_CSV = "items-export-csv"
IT_EXPORT_XLSX = "items-export-xlsx"
IT_DOWNLOAD = "items-download"
IT_FIX_SENTIMENT = "items-fix-sentiment"
IT_FIX_TOPIC = "items-fix-topic"
IT_FIX_SAVE = "items-fix-save"
IT_FIX_MESSAGE = "items-fix-message"
IT_UNMASK = "items-unmask"
IT_UNMASKED = "items-unmasked"

# --- departments -----------------------------------------------------------------------------------------
DP_PERIOD = "departments-period"
DP_GRID = "departments-grid"
DP_TREND = "departments-trend"
DP_LIST = "departments-list"
DP_LIST_TITLE = "departments-list-title"

# --- sources ---------------------------------------------------------------------------------------------
SR_GRID = "sources-grid"
SR_DAILY = "sources-daily"
SR_RUNS = "sources-runs"

# --- reports ---------------------------------------------------------------------------------------------
RP_GRID = "reports-grid"
RP_KIND = "reports-kind"
RP_DATE = "reports-date"
RP_GENERATE = "reports-generate"
RP_MESSAGE = "reports-message"

# --- admin -----------------------------------------------------------------------------------------------
AD_TABS = "admin-tabs"
AD_USERS = "admin-users"
AD_NEW_USERNAME = "admin-new-username"
AD_NEW_NAME = "admin-new-name"
AD_NEW_ROLE = "admin-new-role"
AD_NEW_EMAIL = "admin-new-email"
AD_CREATE = "admin-create-user"
AD_USER_ROLE = "admin-user-role"
AD_SET_ROLE = "admin-set-role"
AD_DISABLE = "admin-disable"
AD_ENABLE = "admin-enable"
AD_RESET = "admin-reset-password"
AD_UNLOCK = "admin-unlock"
AD_USER_MESSAGE = "admin-user-message"
AD_SILENCES = "admin-silences"
AD_SIL_FINGERPRINT = "admin-silence-fingerprint"
AD_SIL_MINUTES = "admin-silence-minutes"
AD_SIL_REASON = "admin-silence-reason"
AD_SIL_CREATE = "admin-silence-create"
AD_SIL_MESSAGE = "admin-silence-message"
AD_WORKDAYS = "admin-workdays"
AD_WD_DATE = "admin-workday-date"
AD_WD_KIND = "admin-workday-kind"
AD_WD_NOTE = "admin-workday-note"
AD_WD_SAVE = "admin-workday-save"
AD_WD_DELETE = "admin-workday-delete"
AD_WD_MESSAGE = "admin-workday-message"
AD_CONFIG = "admin-config"
AD_AUDIT = "admin-audit"
AD_OUTBOX = "admin-outbox"
AD_VERSION = "admin-version"
