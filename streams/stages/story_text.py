"""What story matching reads in an item's text: typed tokens (names, generic names, amounts,
words, Chinese bigrams), their weighted vector, index keys, and MinHash signatures of shingles.
Pure. The tables here (stop words, the field's generic names, Chinese names and words that meet
their English spellings, jurisdictions, legal and government words) are the matcher's vocabulary;
`streams.stages.cluster` decides with them.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import math
import re
from collections import Counter

import numpy as np
from datasketch import MinHash

NUM_PERM = 64
QUERY_TOKENS = 10  # distinctive tokens of an item used to look candidates up
TITLE_CASE_SHARE = 0.75  # capitalised share of a headline's words from which it is Title Case

SIGNATURE_SEED = 20260108
# The permutations datasketch draws for this seed: stored signatures were made with them.
_PERM_A, _PERM_B = (np.asarray(p, dtype=np.uint32)
                    for p in MinHash(num_perm=NUM_PERM, seed=SIGNATURE_SEED, scheme="affine32").permutations)
_EMPTY = (1 << 32) - 1  # the signature of no shingles: every value at its maximum


_STOP = set(
    """a an the and or but if of to in on at by for from with without into onto over under about
    as is are was were be been being has have had do does did it its it's this that these those
    there their they them he she his her we our you your i me my not no so than then too very can
    could would should will may might must just also more most less many much some any all each
    other such only own same both few new says said say according year years week weeks today day
    days month time first last next one two three after before while when where which who whom
    what why how here now via amid despite against between through during per like get gets make
    makes made use uses used using company companies people report reports reported news read
    update updates want way ways lot thing things still even way back out up down off again ever
    don't isn't won't can't you're here's what's s t monday tuesday wednesday thursday friday
    saturday sunday january february march april june july august september october november
    december""".split()
)

# Names too common in this field to prove two items are one story on their own.
_GENERIC = set(
    """ai a.i artificial intelligence openai google alphabet microsoft meta nvidia amazon apple
    anthropic chatgpt gemini claude copilot grok us u.s usa china chinese eu uk europe x xai llm
    llms gpt ceo agi tech technology chatbot chatbots model models trump""".split()
)

# Field-generic Chinese names -> the English token they meet (companies, labs, countries).
ZH_ENTITIES: dict[str, str] = {
    "英伟达": "nvidia", "谷歌": "google", "微软": "microsoft", "苹果公司": "apple", "亚马逊": "amazon",
    "英特尔": "intel", "阿里巴巴": "alibaba", "阿里云": "alibaba", "阿里": "alibaba", "腾讯": "tencent",
    "百度": "baidu", "字节跳动": "bytedance", "华为": "huawei", "小米": "xiaomi", "三星": "samsung", "台积电": "tsmc",
    "特斯拉": "tesla", "深度求索": "deepseek", "智谱": "zhipu", "月之暗面": "moonshot",
    "甲骨文": "oracle", "高通": "qualcomm", "博通": "broadcom", "超微": "amd", "脸书": "facebook",
    "星际之门": "stargate", "五角大楼": "pentagon", "白宫": "white house", "国防部": "pentagon",
    "美国": "us", "中国": "china", "英国": "uk", "欧盟": "eu", "日本": "japan", "韩国": "korea",
    "法国": "france", "德国": "germany", "印度": "india", "意大利": "italy", "加州": "california",
    "佛罗里达": "florida", "路透社": "reuters", "彭博社": "bloomberg", "联合国": "un",
    # the field's most quoted people, as the Chinese press writes their names
    "黄仁勋": "huang", "奥特曼": "altman", "阿尔特曼": "altman", "马斯克": "musk", "扎克伯格": "zuckerberg",
    "纳德拉": "nadella", "皮查伊": "pichai", "贾西": "jassy", "阿莫迪": "amodei", "哈萨比斯": "hassabis",
    "苏姿丰": "lisa su", "辛顿": "hinton", "杨立昆": "lecun", "孙正义": "masayoshi son",
    # ... and the heads of government and economic officials the field's news quotes most
    "特朗普": "trump", "拜登": "biden", "万斯": "vance", "贝森特": "bessent", "鲍威尔": "powell",
    "卢特尼克": "lutnick", "习近平": "xi", "斯塔默": "starmer", "马克龙": "macron", "冯德莱恩": "von der leyen",
    "莫迪": "modi", "普京": "putin",
}
# Field-generic Chinese words -> the English word tokens they meet (stems as `stem` writes them).
ZH_TERMS: dict[str, tuple[str, ...]] = {
    "出口管制": ("w:export", "w:control"), "出口": ("w:export",), "芯片": ("w:chip",),
    "半导体": ("w:semiconductor",), "商务部": ("e:commerce",), "监管": ("w:regulator",),
    "法院": ("w:court",), "起诉": ("w:lawsuit",), "诉讼": ("w:lawsuit",), "调查": ("w:investigation",),
    "估值": ("w:valuation",), "融资": ("w:fund",), "收购": ("w:acquisition",), "订阅": ("w:subscription",),
    "开源": ("w:open",), "数据中心": ("w:center",), "算力": ("w:compute",), "网络安全": ("w:cybersecurity",),
    "漏洞": ("w:vulnerability",), "深度伪造": ("w:deepfake",),
    "备忘录": ("w:memo",), "专业版": ("e:pro",),
    "股东信": ("w:shareholder", "w:letter"), "股东": ("w:shareholder",), "电力": ("w:power",),
    "容量": ("w:capacity",), "营收": ("w:revenu",), "裁员": ("w:layoff",), "禁令": ("w:ban",),
    "罚款": ("w:fin",), "法案": ("w:bill",), "合作伙伴": ("w:partnership",), "合作": ("w:partnership",),
    "员工": ("w:employe",),
}
ZH_WORDS = {t for toks in ZH_TERMS.values() for t in toks}
_ZH_RE = re.compile("|".join(sorted(map(re.escape, ZH_ENTITIES), key=len, reverse=True)))
_ZH_TERMS_RE = re.compile("|".join(sorted(map(re.escape, ZH_TERMS), key=len, reverse=True)))

# Jurisdictions: two reports naming disjoint sets of these are rarely one development.
JURISDICTIONS = set(
    """us uk eu china japan korea france germany india italy ireland canada australia california
    florida texas spain netherlands brazil taiwan russia""".split()
)
# Stems of legal/regulatory action words: one side only -> likely a follow-on by another actor.
# Not "ruling": its stem is the stem of "rules", and a report of new rules ("export control
# rules") was read as a court ruling, apart from another report of the same rules; a ruling
# has its court or judge beside it.
_LEGAL_WORDS = (
    "probe", "probes", "lawsuit", "sue", "sued", "sues", "court", "regulator", "regulators",
    "watchdog", "fine", "fined", "antitrust", "attorney", "subpoena", "ban", "banned", "judge",
    "complaint", "indictment",
)
LEGAL_PREFIXES = ("investigat", "prosecut")
# Who acts, read from a title: a government, regulator or court (any of these words) ... Not the
# police: an arrest is part of the day's incident ("Man arrested after attack on ..."), not another
# actor's development about it, as a regulator's reaction to a launch is.
_GOV_RAW = (
    "regulator", "regulators", "watchdog", "commission", "ministry", "government", "court", "judge",
    "attorney", "senator", "senators", "lawmakers", "congress", "parliament", "agency", "treasury",
    "fda", "ftc", "doj", "fcc", "ofcom", "cma", "probe", "probes", "lawsuit", "sues", "sued", "fine",
    "fined", "ban", "bans", "banned", "orders", "ordered", "demands", "subpoena", "charges", "charged",
    "indicted", "governor", "brussels", "pentagon", "commerce", "department", "authorities",
    "senate", "investigation", "investigates", "regulation", "bill", "law", "eu", "suit",
    "suits", "settle", "settles", "settlement", "legal", "lawmaker", "legislators", "democrats", "republicans",
    "congressional", "congressman", "congresswoman", "mps")
GOV_ZH = ("监管", "法院", "起诉", "调查", "商务部", "政府", "委员会", "网信办", "总局", "罚款", "禁令",
           "立案", "警方", "逮捕", "白宫", "五角大楼", "国防部", "议员", "法案", "部门", "办法")
# ... and which companies: products are read as their maker, so "ChatGPT" and "OpenAI" agree.
MAKER = {"chatgpt": "openai", "gpt": "openai", "gemini": "google", "alphabet": "google",
          "deepmind": "google", "claude": "anthropic", "grok": "xai", "copilot": "microsoft",
          "llama": "meta", "facebook": "meta", "aws": "amazon"}
COMPANIES = {"openai", "google", "microsoft", "meta", "nvidia", "amazon", "apple", "anthropic", "xai",
              "deepseek", "alibaba", "tencent", "baidu", "bytedance", "huawei", "xiaomi", "samsung", "tsmc",
              "tesla", "intel", "oracle", "qualcomm", "broadcom", "amd", "zhipu", "moonshot", "mistral",
              "coreweave", "perplexity", "ibm", "salesforce", "spacex", "palantir", "arm", "micron"}

_MONEY_EN = re.compile(
    r"([$€£])\s?(\d+(?:[.,]\d+)?)\s?(trillion|billion|million|bn|tn|tr|b|m|k)?\b", re.I
)
_MONEY_ZH = re.compile(r"(\d+(?:\.\d+)?)\s?(万亿|亿|万)?\s?(美元|欧元|英镑)")
_UNIT = re.compile(r"\b(\d+(?:\.\d+)?)\s?(gw|mw|%|percent)(?![a-z])", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_SCALE = {"trillion": 1e12, "tn": 1e12, "tr": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9,
          "million": 1e6, "m": 1e6, "k": 1e3, "万亿": 1e12, "亿": 1e8, "万": 1e4}
_CUR = {"$": "$", "€": "€", "£": "£", "美元": "$", "欧元": "€", "英镑": "£"}
_WEIGHT = {"e": 2.0, "g": 1.0, "n": 3.0, "w": 1.0, "c": 0.4}
# Aggregator boilerplate (Hacker News, Reddit) and bare URLs say nothing about the event.
_BOILER = re.compile(
    r"https?://\S+|\b(?:Article URL|Comments URL|Points|# Comments):?\s*\d*"
    r"|submitted by /?u/\S+|\[link\]|\[comments\]",
    re.I,
)


def _amount(currency: str, value: float) -> str:
    """One spelling for an amount so '$50 billion', '$50bn' and '500 亿美元' meet."""
    for scale, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m")):
        if value >= scale:
            return f"n:{currency}{value / scale:g}{suffix}"
    return f"n:{currency}{value:g}"


def _numbers(text: str) -> list[str]:
    out = []
    for cur, num, unit in _MONEY_EN.findall(text):
        out.append(_amount(cur, float(num.replace(",", "")) * _SCALE.get(unit.lower(), 1.0)))
    for num, scale, cur in _MONEY_ZH.findall(text):
        out.append(_amount(_CUR[cur], float(num) * _SCALE.get(scale, 1.0)))
    for num, unit in _UNIT.findall(text):
        out.append(f"n:{float(num):g}{'%' if unit.lower() in ('%', 'percent') else unit.lower()}")
    return out


def stem(word: str) -> str:
    for suffix in ("ing", "ies", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _is_name(word: str, sentence_start: bool, title_case: bool) -> bool:
    """Names: inner capitals or digits (OpenAI, H200, GPT-5), acronyms, or capitals mid-sentence."""
    if any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:]):
        return True
    return word[0].isupper() and not sentence_start and not title_case


def latin_tokens(text: str, title_case: bool) -> list[str]:
    out = []
    for m in _WORD.finditer(text):
        raw, at = m.group(), m.start()
        # only a capitalised word can be a name by position: the rest skip the look-behind
        starts = raw.lstrip(".-")[:1].isupper() and (at == 0 or text[max(0, at - 2) : at].strip()[-1:] in _ENDS)
        token = _word_token(raw, starts, title_case)
        if token is not None:
            out.append(token)
    return out


_ENDS = (".", "!", "?", ":", '"', "“", "|")


@functools.lru_cache(maxsize=1 << 17)
def _word_token(raw: str, sentence_start: bool, title_case: bool) -> str | None:
    """A word's typed token (a day repeats most words many times over, so it is worked out once)."""
    word = raw.strip(".-")
    low = word.lower()
    if not word or low in _STOP or len(low) < 2:
        return None
    if low in _GENERIC:
        return "g:" + low
    if _is_name(word, sentence_start, title_case) or low in _KNOWN:
        return "e:" + low.replace(".", "")
    if len(low) >= 3 and not low.isdigit():
        return "w:" + stem(low)
    return None


def cjk_tokens(text: str) -> list[str]:
    """Known names map to their English token; the rest become character bigrams (zh-zh only)."""
    out = [
        ("g:" if ZH_ENTITIES[m] in _GENERIC else "e:") + ZH_ENTITIES[m] for m in _ZH_RE.findall(text)
    ]
    out += [tok for m in _ZH_TERMS_RE.findall(text) for tok in ZH_TERMS[m]]
    for run in _CJK_RUN.findall(_ZH_RE.sub(" ", text)):
        out.extend("c:" + run[i : i + 2] for i in range(len(run) - 1))
    return out


_KNOWN = {v for v in ZH_ENTITIES.values() if " " not in v} - _GENERIC
LEGAL = {stem(w) for w in _LEGAL_WORDS}
GOV_WORDS = {stem(w) for w in _GOV_RAW}
GIVEN_NAMES = {"e:bill"}  # a name, not a law: "Bill Gates' startup" is no government acting


def title_case(title: str) -> bool:
    """A headline In Title Case, where a capital proves nothing. A sentence-case headline full of
    names ("Meta AI app climbs on the App Store after Muse Spark launch") is not one: its names
    must read as names, or they never meet the same names in another item's text."""
    words = [w for w in _WORD.findall(title) if w.lower() not in _STOP]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= TITLE_CASE_SHARE


def features(title: str, text: str) -> Counter[str]:
    """Typed tokens of one item: e: names, g: generic names, n: amounts, w: words, c: zh bigrams."""
    body = _BOILER.sub(" ", text[:2000])  # the lead carries the event; the rest adds noise
    tokens = latin_tokens(title, title_case(title)) + latin_tokens(body, False)
    tokens += cjk_tokens(title + " " + body) + _numbers(title + " " + body)
    return Counter(tokens)


def vector(feats: Counter[str]) -> dict[str, float]:
    """Unit-length weighted vector: type weight times damped term frequency."""
    raw = {t: _WEIGHT[t[0]] * (1.0 + math.log(n)) for t, n in feats.items()}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {t: v / norm for t, v in raw.items()}


def query_tokens(vec: dict[str, float]) -> list[str]:
    """The item's most distinctive tokens, used as index keys (generic names never are)."""
    return heapq.nsmallest(QUERY_TOKENS, (t for t in vec if t[0] in "enw"), key=lambda t: (-vec[t], t))


def shingles(title: str, text: str) -> set[str]:
    body = title + " " + _BOILER.sub(" ", text[:3000])
    words = [w.lower() for w in _WORD.findall(body)]
    words += [c for run in _CJK_RUN.findall(body) for c in run]
    return {" ".join(words[i : i + 3]) for i in range(max(0, len(words) - 2))}


def signature(shingle_set: set[str]) -> list[int]:
    """The set's MinHash: the value datasketch's `MinHash(num_perm=NUM_PERM, seed=SIGNATURE_SEED)`
    gives after `update_batch` of the shingles (its "affine32" scheme: SHA-1's first four bytes,
    the MurmurHash3 finalizer, then `a * h + b` modulo 2**32 per permutation), in array passes."""
    if not shingle_set:
        return [_EMPTY] * NUM_PERM
    digests = b"".join([hashlib.sha1(s).digest() for s in map(str.encode, shingle_set)])
    # each digest is 20 bytes, five little-endian words: its first word is the shingle's hash
    hashes = np.frombuffer(digests, dtype="<u4")[::5].astype(np.uint32)
    permuted = np.multiply.outer(_fmix32(hashes), _PERM_A)
    permuted += _PERM_B
    return permuted.min(axis=0).tolist()


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, in place; uint32 arithmetic wraps, which is the modulo it wants."""
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h
