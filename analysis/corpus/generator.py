"""Generator of labeled government-domain text (hotline work orders, board posts, news) for training.

Deterministic for a seed. Combines each class's vocabulary (analysis.corpus.domains) with sentiment frames:
complaints with negation, repetition, grievance pleas (恳请…解决) and quoted sarcasm (“高效”); consultations,
suggestions and notices; thanks and good news. Labels: sentiment (negative/neutral/positive) and topic.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from analysis.corpus.domains import DOMAINS, Domain

SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Doc:
    title: str
    content: str
    sentiment: str
    topic: str
    kind: str  # hotline | board | news


def _t(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split("|") if s.strip())


# Place names of the generator's own invented city (deliberately not the ones in config/).
AREAS = _t(
    "河西区|城关镇|北湖街道|桂园社区|和平里|锦绣花园|阳光新村|南门口|柳岸名居|大桥乡|石门村|新华街"
    "|梧桐苑|金港湾|滨江路|东关村|红星社区|幸福家园|翠屏山|北站片区|老城区|开发区|枫林镇|青龙村"
)
SPEAKERS_1 = _t("我是|本人是|我们是|我家是|我作为")
SPEAKERS_2 = _t(
    "居民|业主|村民|家长|职工|租户|个体户|退休职工|外来务工人员|老党员|市民|患者家属|小店店主|企业负责人"
)
CALLERS = _t("来电人|市民|来电市民|群众|网友|留言人|反映人")
TIMES = _t(
    "最近|这段时间|近一个月来|从上个月开始|今年以来|每天晚上|每逢周末|这几天|入冬以来|开学以后|去年年底开始"
)
DURATIONS = _t("三个月|半年|一年多|两个多星期|四十多天|好几个月|大半年|两年")
TIMES_ASKED = _t("三次|五次|好几次|七八次|无数次|十几次|不下十次")
PRAISE_WORDS = _t(
    "高效|为民服务|马上就办|人性化|便民|暖心|一站式|精品工程|零距离|满意工程|贴心服务|群众至上|有求必应|文明"
)
SPEEDS = _t("当天|第二天|两天之内|不到一周|很快|半天时间|一个电话之后|一周内")

# --- negative pieces ---------------------------------------------------------------------------------
NEG_STATUS = _t(
    "至今没有得到解决|到现在还是老样子|一直没人处理|问题依旧没有解决|始终没有下文|迟迟不见动静"
    "|并没有真正解决|丝毫没有改善|处理得一点都不及时|根本没人来看|反而越来越严重|一点改变都没有"
    "|拖到现在也没有结果|一直得不到答复"
)
NEG_PUSH = _t(
    "{dept}说不归他们管|{dept}和物业相互推诿|{dept}让我们找别的部门|{dept}每次都说正在协调"
    "|{dept}来看了一眼就走了|{dept}只是口头答应|回复说已经处理，实际上什么也没做|工单被直接办结了"
    "|打电话过去一直没人接|去问了好几次都说领导不在"
)
NEG_DEMAND = _t(
    "恳请{dept}尽快解决|恳请有关部门督促落实|请领导过问一下|强烈要求{dept}整改|希望{dept}给个说法"
    "|请有关部门不要再推诿|到底有没有人管？|难道要等出了事才处理吗？|老百姓的日子还怎么过？"
    "|我们对处理结果很不满意|这样的答复我们不能接受|恳请相关部门重视我们的诉求|麻烦尽快派人来处理"
)
NEG_FEEL = _t(
    "大家都很气愤|我们非常失望|心里实在憋屈|真是让人寒心|大家怨声载道|群众意见很大|我们实在忍无可忍"
    "|邻居们苦不堪言|生活受到了严重影响"
)
HIGH_RISK = _t(
    "再不处理我们就集体去市政府反映|我们准备联系电视台曝光|已经有好几十人商量着一起去上访"
    "|这样下去迟早要出人命|家里老人孩子的安全受到威胁|已经有人受了伤|大家准备拉横幅讨说法"
    "|如果还不解决就只能去省里反映|工友们已经在门口聚集了|有人情绪激动扬言要跳楼"
)

# --- neutral pieces ----------------------------------------------------------------------------------
ASK_OPEN = _t("请问|您好，请问|想咨询一下，|你好，想了解一下|麻烦问一下，|咨询：|打扰一下，请问|想问问")
ASK_TAIL = _t(
    "？|？谢谢。|，需要准备什么？|，在哪里可以办理？|，具体流程是怎样的？|？麻烦告知。|，可以线上办吗？"
)
SUGGEST_OPEN = _t("建议|希望|能否考虑|提个建议：|是否可以|有一个建议，")
NOTICE_HEAD = _t("关于{notice}的通知|关于{notice}的公告|{dept}部署{notice}|{dept}启动{notice}")
NOTICE_BODY = _t(
    "为进一步做好相关工作，{dept}决定{notice}，请各有关单位按要求抓好落实。"
    "|即日起，{dept}将{notice}，具体安排另行通知。"
    "|根据工作安排，{dept}于本月{n}日起{notice}，请广大市民予以配合。"
    "|{dept}召开专题会议，部署{notice}，要求各单位明确责任、按时完成。"
    "|近日，{dept}印发工作方案，{notice}，时间持续到年底。"
)

# --- positive pieces ---------------------------------------------------------------------------------
THANK_OPEN = _t(
    "感谢{dept}！|非常感谢{dept}的帮助，|谢谢{dept}的工作人员，|为{dept}点个赞！|真心感谢{dept}，"
    "|要给{dept}的同志点赞，|特此感谢{dept}，|衷心感谢{dept}，"
)
THANK_CLOSE = _t(
    "办事效率很高，非常满意。|真正为老百姓办实事。|大家都很满意。|服务很周到，值得表扬。"
    "|我们全家都很感激。|辛苦了！|邻居们都拍手称赞。|这样的服务让人暖心。|谢谢政府！"
)
NEWS_LEAD = _t("记者从{dept}获悉，|近日，|今年以来，|据{dept}介绍，|截至目前，|在各方共同努力下，")
NEWS_TAIL = _t(
    "群众满意度明显提升。|受到居民广泛好评。|群众获得感不断增强。|相关经验在全省推广。|市民纷纷点赞。"
)


# --- public comments (news comment sections, reposts): short emotional reactions ------------------------
C_POS = _t(
    "加油|致敬|辛苦了|太棒了|点赞|好样的|真暖心|太感动了|为你们骄傲|给力|了不起|好消息|真好|支持|欣慰"
    "|祝福|越来越好了|幸福感满满|必须点赞|这才是为人民服务|值得表扬|开心|终于等到了|感恩"
)
C_ANGRY = _t(
    "太过分了|气死人了|无语|简直离谱|可恶|岂有此理|严惩不贷|凭什么|丢人|忍无可忍|这也太坑了|骗子"
    "|愤怒|恶心|不要脸|一群蛀虫|还有没有天理|强烈谴责"
)
C_SAD = _t("心疼|难过|太惨了|泪目|痛心|可怜|揪心|唉|看哭了|太让人伤心了|遗憾|心酸")
C_FEAR = _t("好害怕|太吓人了|不敢出门了|太危险了|担心死了|后怕|慌了|恐怖|让人不安|提心吊胆")
C_NEU = _t(
    "转发|关注一下|了解一下|坐等官方通报|有没有知情人|具体在哪里|收藏了|等后续|请问什么时候开始|已转"
    "|是这样吗|有人知道吗|马克一下|看看再说"
)
EMO_POS = _t("[赞]|[good]|[心]|[哈哈]|[鼓掌]|[给力]|[威武]|[耶]|[嘻嘻]|[爱你]")
EMO_NEG = _t("[怒]|[泪]|[悲伤]|[抓狂]|[衰]|[晕]|[吃惊]|[鄙视]|[哼]|[可怜]")
SALUTATIONS = _t("尊敬的领导：您好！|领导您好，|书记您好！|市长您好：|县长：您好！|各位领导：|您好，")
CLOSINGS = _t("望回复，谢谢！|盼复。|请尽快答复。|谢谢！|望领导重视。|期待回复。")


class Generator:
    """Draws labeled documents; one instance per seed, cheap to create."""

    def __init__(self, seed: int = 2026) -> None:
        self.rng = random.Random(seed)

    # small helpers ----------------------------------------------------------------------------------
    def pick(self, options: tuple[str, ...]) -> str:
        return self.rng.choice(options)

    def fill(self, template: str, d: Domain) -> str:
        rng = self.rng
        out = template
        while "{" in out:
            out = (
                out.replace("{place}", self.pick(d.places), 1)
                .replace("{dept}", self.pick(d.depts), 1)
                .replace("{n}", str(rng.choice((2, 3, 5, 8, 12, 20, 36, 150, 300, 1200))), 1)
                .replace("{subject}", self.pick(d.subjects), 1)
            )
            if out.count("{") and not any(k in out for k in ("{place}", "{dept}", "{n}", "{subject}")):
                break
        return out

    def area(self) -> str:
        return self.pick(AREAS)

    def intro(self, d: Domain) -> str:
        r = self.rng.random()
        if r < 0.3:
            return f"{self.pick(SPEAKERS_1)}{self.area()}的{self.pick(SPEAKERS_2)}，"
        if r < 0.5:
            return f"{self.area()}{self.pick(d.places)}，"
        if r < 0.65:
            return f"{self.pick(TIMES)}，"
        return ""

    # negative ---------------------------------------------------------------------------------------
    def negative(self, d: Domain) -> str:
        problem = self.fill(self.pick(d.problems), d)
        rng = self.rng
        style = rng.randrange(9)
        if style == 0:  # problem + repeated reports + status + demand
            text = (
                f"{self.intro(d)}{problem}。已经向{self.fill('{dept}', d)}反映了{self.pick(TIMES_ASKED)}，"
                f"{self.pick(NEG_STATUS)}。{self.fill(self.pick(NEG_DEMAND), d)}"
            )
        elif style == 1:  # buck-passing
            text = f"{problem}，{self.fill(self.pick(NEG_PUSH), d)}，{self.pick(NEG_FEEL)}。"
        elif style == 2:  # sarcasm with a quoted slogan
            praise = self.pick(PRAISE_WORDS)
            text = self.pick(
                (
                    f"{problem}，这就是{self.fill('{dept}', d)}所谓的“{praise}”？",
                    f"{self.fill('{dept}', d)}天天喊“{praise}”，结果{problem}，真是讽刺。",
                    f"真是“{praise}”啊，{problem}，拖了{self.pick(DURATIONS)}。",
                    f"好一个“{praise}”！{problem}，反映了{self.pick(TIMES_ASKED)}都没用。",
                )
            )
        elif style == 3:  # thanks for the reply, but still unresolved
            text = self.pick(
                (
                    f"感谢{self.fill('{dept}', d)}的回复，但是{problem}，{self.pick(NEG_STATUS)}。",
                    f"谢谢你们的答复，可实际情况是{problem}，问题并没有解决。",
                    f"虽然{self.fill('{dept}', d)}回复了，但{problem}，希望不要只回复不落实。",
                    f"之前的回复说已经整改，可是{problem}，对这个结果很不满意。",
                )
            )
        elif style == 4:  # grievance plea
            text = f"{self.intro(d)}{problem}，{self.pick(NEG_FEEL)}。恳请{self.fill('{dept}', d)}尽快解决！"
        elif style == 5:  # high-risk escalation
            text = f"{problem}，已经拖了{self.pick(DURATIONS)}，{self.pick(NEG_STATUS)}。{self.pick(HIGH_RISK)}。"
        elif style == 6:  # third-person hotline work order
            text = (
                f"{self.pick(CALLERS)}反映：{self.area()}{problem}，{self.pick(NEG_STATUS)}，"
                f"诉求：{self.fill(self.pick(NEG_DEMAND), d).rstrip('？?')}。"
            )
        elif style == 7:  # short complaint
            text = self.pick((f"{problem}。", f"{problem}，没人管。", f"投诉：{problem}。"))
        else:  # rhetorical question
            text = (
                f"{self.pick(TIMES)}{problem}，{self.pick(NEG_STATUS)}。"
                f"{self.pick(('这合理吗？', '这正常吗？', '谁来管管？', '还有没有王法？', '我们该找谁？'))}"
            )
        return text

    # neutral ----------------------------------------------------------------------------------------
    def neutral(self, d: Domain) -> str:
        rng = self.rng
        style = rng.randrange(6)
        if style <= 1:  # consultation
            ask = self.fill(self.pick(d.asks), d)
            return f"{self.pick(ASK_OPEN)}{ask}{self.pick(ASK_TAIL)}"
        if style == 2:  # consultation that mentions a situation
            ask = self.fill(self.pick(d.asks), d)
            return self.pick(
                (
                    f"我家的情况有点特殊，想了解{ask}？",
                    f"{self.pick(SPEAKERS_1)}{self.pick(SPEAKERS_2)}，想咨询{ask}。",
                    f"关于{self.pick(d.subjects)}，请问{ask}？",
                    f"{self.pick(CALLERS)}来电咨询{ask}，请相关部门答复。",
                )
            )
        if style == 3:  # suggestion
            idea = self.fill(self.pick(d.ideas), d)
            return self.pick(
                (
                    f"{self.pick(SUGGEST_OPEN)}{idea}。",
                    f"关于{self.pick(d.subjects)}的一点建议：{idea}，供参考。",
                    f"{self.pick(CALLERS)}建议{idea}，方便群众。",
                    f"希望{self.fill('{dept}', d)}研究一下，{idea}。",
                )
            )
        # notice (news)
        notice = self.fill(self.pick(d.notices), d)
        return self.fill(self.pick(NOTICE_BODY), d).replace("{notice}", notice)

    # positive ---------------------------------------------------------------------------------------
    def positive(self, d: Domain) -> str:
        rng = self.rng
        fix = self.fill(self.pick(d.fixes), d)
        style = rng.randrange(7)
        if style == 0:
            return f"{self.fill(self.pick(THANK_OPEN), d)}{fix}，{self.pick(THANK_CLOSE)}"
        if style == 1:
            return (
                f"前些天反映的{self.pick(d.subjects)}问题，{self.fill('{dept}', d)}{self.pick(SPEEDS)}就处理了，"
                f"{fix}。{self.pick(THANK_CLOSE)}"
            )
        if style == 2:  # resolved after a wait: still positive
            return f"虽然等了{self.pick(DURATIONS)}，但是{fix}，还是要感谢{self.fill('{dept}', d)}的努力。"
        if style == 3:  # a problem that no longer occurs (negated negative)
            subject = self.pick(d.subjects)
            return self.pick(
                (
                    f"自从{self.fill('{dept}', d)}介入以后，{subject}的问题再也没有出现过，{self.pick(THANK_CLOSE)}",
                    f"现在{subject}方面没有任何问题了，{fix}，{self.pick(THANK_CLOSE)}",
                    f"{fix}，再也不用为{subject}发愁了，感谢政府。",
                )
            )
        if style == 4:  # third-person hotline feedback
            return f"{self.pick(CALLERS)}来电表扬{self.fill('{dept}', d)}：{fix}，对处理结果非常满意。"
        # good news
        good = self.fill(self.pick(d.goods), d)
        return f"{self.fill(self.pick(NEWS_LEAD), d)}{good}，{self.pick(NEWS_TAIL)}"

    # titles ---------------------------------------------------------------------------------------
    def title(self, d: Domain, sentiment: str, content: str) -> tuple[str, str]:
        """A board or news title and the kind, or '' and 'hotline' for a work order without title."""
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            return "", "hotline"
        subject = self.pick(d.subjects)
        if sentiment == "negative":
            title = self.pick(
                (
                    f"{subject}问题何时能解决",
                    f"投诉{self.area()}{subject}问题",
                    f"关于{subject}的反映",
                    f"{subject}问题无人管",
                    f"再次反映{subject}问题",
                    f"{self.area()}的{subject}问题",
                )
            )
            return title, "board"
        if sentiment == "neutral":
            if content.startswith(("为进一步", "即日起", "根据工作安排", "近日")) or "部署" in content:
                notice = self.pick(d.notices)
                return f"{self.fill('{dept}', d)}关于{notice}的通知", "news"
            title = self.pick(
                (f"咨询{subject}问题", f"关于{subject}的咨询", f"{subject}相关政策咨询", f"建议：{subject}")
            )
            return title, "board"
        if "获悉" in content or "截至" in content or "今年以来" in content:
            return f"{self.fill('{dept}', d)}：{self.fill(self.pick(d.goods), d)}", "news"
        title = self.pick(
            (f"感谢{self.fill('{dept}', d)}", f"{subject}问题解决了", "点赞", f"表扬{self.fill('{dept}', d)}")
        )
        return title, "board"

    # documents --------------------------------------------------------------------------------------
    def body(self, d: Domain, sentiment: str) -> str:
        text: str = getattr(self, sentiment)(d)
        return text if text[-1] in "。！？!?" else text + "。"

    def doc(self, d: Domain, sentiment: str) -> Doc:
        body = self.body(d, sentiment)
        if self.rng.random() < 0.25:  # longer texts: two clauses of the same sentiment
            body = body + self.body(d, sentiment)
        title, kind = self.title(d, sentiment, body)
        if kind == "board" and self.rng.random() < 0.3:
            # letters open and close politely whatever they say: 谢谢 at the end is no praise
            body = f"{self.pick(SALUTATIONS)}{body}{self.pick(CLOSINGS)}"
        return Doc(title, body, sentiment, d.topic, kind)

    def comment(self, d: Domain, sentiment: str) -> Doc:
        """A short reaction under a news report or a repost (kind 'comment')."""
        rng = self.rng
        subject = self.pick(d.subjects)
        if sentiment == "positive":
            words = [self.pick(C_POS) for _ in range(rng.randint(1, 2))]
            emoticons = EMO_POS
            about = self.pick(
                (f"{subject}的事终于办好了", self.fill(self.pick(d.fixes), d), f"{self.fill('{dept}', d)}")
            )
        elif sentiment == "negative":
            pool = rng.choice((C_ANGRY, C_SAD, C_FEAR))
            words = [self.pick(pool) for _ in range(rng.randint(1, 2))]
            emoticons = EMO_NEG
            about = self.pick(
                (f"{subject}这事", self.fill(self.pick(d.problems), d), f"{self.fill('{dept}', d)}")
            )
        else:
            words = [self.pick(C_NEU)]
            emoticons = ("",)
            about = self.pick(
                (f"{subject}的新规定", self.fill(self.pick(d.notices), d), f"{self.fill('{dept}', d)}的通知")
            )
        mark = self.pick(emoticons) if rng.random() < 0.5 else ""
        text = self.pick(
            (
                f"{'，'.join(words)}！{mark}",
                f"{about}，{'，'.join(words)}{mark}",
                f"{'，'.join(words)}，{about}{mark}",
                f"//@{self.pick(SPEAKERS_2)}:{'，'.join(words)}{mark}",
            )
        )
        return Doc("", text, sentiment, d.topic, "comment")

    def docs(self, per_class_and_sentiment: int, comments: int = 0) -> Iterator[Doc]:
        for d in DOMAINS:
            for sentiment in SENTIMENTS:
                for _ in range(per_class_and_sentiment):
                    yield self.doc(d, sentiment)
        # drawn after the documents, so the documents do not depend on how many comments there are
        for d in DOMAINS:
            for sentiment in SENTIMENTS:
                for _ in range(comments):
                    yield self.comment(d, sentiment)


def generate(per_class_and_sentiment: int = 300, seed: int = 2026, comments: int = 0) -> list[Doc]:
    """The training corpus: 15 classes x 3 sentiments x `per_class_and_sentiment` documents, then
    `comments` short public comments per class and sentiment (kind 'comment')."""
    return list(Generator(seed).docs(per_class_and_sentiment, comments))
