"""One home for the project's vocabulary: genres, document scopes, figure owners and the pooled-genre label.

Every module and notebook imports these names instead of retyping the strings, so that a genre or a scope is
spelled once. The values are what the tables contain (segments.csv `genre`, documents.csv `scope` …).
"""

from __future__ import annotations

# ---------------------------------------------------------------- genres (segments.csv and documents.csv `genre`)
SPEECH = "speech"  # words spoken by one person at a meeting, whole or as printed excerpts
NEWS = "news report"  # a reporter's account of an event (记者, 通讯员, 讯, 日电)
FEATURE = "feature"  # a long promotional piece on one place or programme
ARTICLE = "article"  # a signed or institutional article, commentary or web post
WORK_REPORT = "work report"  # 工作报告 / 工作总结: an organisation's account of its year
GENRES: tuple[str, ...] = (SPEECH, NEWS, FEATURE, ARTICLE, WORK_REPORT)
ALL_GENRES = "all"  # the pooled row of a street (street_framing.csv, street_profiles.csv)
WHOLE_CORPUS = "ALL"  # the whole-corpus scope of term_frequencies.csv and concept_frequencies.csv (streets follow)

# How manifests and older builds spell genres: each alias maps to one genre above.
GENRE_ALIASES: dict[str, str] = {
    "speech": SPEECH,
    "speeches": SPEECH,
    "speech excerpt": SPEECH,
    "speech excerpts": SPEECH,
    "讲话": SPEECH,
    "发言": SPEECH,
    "news": NEWS,
    "news report": NEWS,
    "news lead": NEWS,
    "report": NEWS,
    "新闻": NEWS,
    "报道": NEWS,
    "feature": FEATURE,
    "特稿": FEATURE,
    "article": ARTICLE,
    "signed article": ARTICLE,
    "commentary": ARTICLE,
    "文章": ARTICLE,
    "web post": ARTICLE,
    "work report": WORK_REPORT,
    "工作报告": WORK_REPORT,
    "工作总结": WORK_REPORT,
}

# ---------------------------------------------------------------- document scopes (documents.csv and segments.csv `scope`)
IN_AREA = "longgang"  # a street of the study area, or the study area's district as a whole
OUTSIDE = "outside"  # another district (a neighbouring district's street, or a named other district)
UNKNOWN = "unknown"  # anonymised or unplaced (no place of the study area or outside it is named)
SCOPES: tuple[str, ...] = (IN_AREA, OUTSIDE, UNKNOWN)

# ---------------------------------------------------------------- owners of a reported figure (metrics.csv `scope`)
FIGURE_STREET, FIGURE_DISTRICT, FIGURE_CITY = "street", "district", "city"
FIGURE_OUTSIDE, FIGURE_UNKNOWN = "outside", "unknown"
FIGURE_SCOPES: tuple[str, ...] = (FIGURE_STREET, FIGURE_DISTRICT, FIGURE_CITY, FIGURE_OUTSIDE, FIGURE_UNKNOWN)


def normalise_genre(label: str) -> str:
    """The project genre for a manifest or inferred label ('speech excerpts' → 'speech'); unknown labels → article."""
    key = (label or "").strip().lower()
    return GENRE_ALIASES.get(key, ARTICLE if key else "")


# ---------------------------------------------------------------- rates (one scale per table, named in its column)
PER_CHARS = 1_000  # framing hits and reported figures per 1,000 characters (`rate_per_1k`)
PER_TOKENS = 10_000  # terms per 10,000 tokens (`rate_per_10k`)


def rate(count, size, per: int = PER_CHARS):
    """count per `per` units of size (characters by default); an empty size counts as one so the rate is 0, not NaN."""
    return per * count / max(size, 1) if not hasattr(size, "__len__") else per * count / size.clip(lower=1)


# ---------------------------------------------------------------- comparison groups (street_framing.csv `group`)
# A Longgang street is its own group (its name); everything else falls into one of three groups, never into a street.
GROUP_DISTRICT = "district-wide"  # study-area text about no one street (a district report, a meeting's lead)
GROUP_OUTSIDE = "outside"  # documents from another district
GROUP_UNKNOWN = "unknown"  # anonymised or unplaced documents
NON_STREET_GROUPS: tuple[str, ...] = (GROUP_DISTRICT, GROUP_OUTSIDE, GROUP_UNKNOWN)

# ---------------------------------------------------------------- cleaning steps (cleaning_log.csv `step`, in order)
STEP_WEB_PAGE = "web_page"  # a saved web page replaced by its article text
STEP_LINE_ENDS = "line_ends"
STEP_PINYIN = "pinyin"
STEP_MOJIBAKE = "mojibake"
STEP_SIMPLIFIED = "simplified"
STEP_WIDTH = "width"
STEP_PUNCTUATION = "punctuation"
STEP_OCR_SPACES = "ocr_spaces"
STEP_OCR_DASH = "ocr_dash"
STEP_TITLE = "title"
STEP_BOILERPLATE = "boilerplate"
STEP_CAPTIONS = "captions"
STEP_TIDY_FIRST = "tidy_1"
STEP_PAGE_BREAKS = "page_breaks"
STEP_DUPLICATES = "duplicates"
STEP_MARKUP = "markup"
STEP_TIDY_LAST = "tidy_2"
# Reasons of removed lines whose text becomes metadata (cleaning_log.csv `reason`; documents.csv reads them back).
REASON_TITLE = "title → metadata"
REASON_WEB_PAGE = "web page → "  # the start of the reason of the one edit that replaces a saved page by its article
REASON_CREDIT = "credit"
REASON_PUBLICATION = "publication metadata"
