"""Scrapy project settings for Scrapyd nodes (`[settings] yuqing = crawlers.scrapyd_settings` in scrapyd.conf):
nodes run the installed `crawlers` package, no egg. Each source's own settings (politeness, pipelines,
retries) are applied by crawlers.spiders.source when its crawl starts; these are only what must hold
before that (the spider module, logging, no listening sockets)."""

BOT_NAME = "yuqing"
SPIDER_MODULES = ["crawlers.spiders.source"]
NEWSPIDER_MODULE = "crawlers.spiders.source"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
STATS_DUMP = False  # crawl_runs records the figures
