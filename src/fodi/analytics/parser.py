"""The offline engine's parser: English and Russian questions → a :class:`StructuredQuery`.

It reads a question the way a semantic layer would — which metric, grouped by what, filtered
how, over which calendar period(s), ranked or thresholded — consuming the words it recognises.
A word it cannot account for means it did not understand, and it says so instead of guessing
(the PRECISE approach: high precision by construction, honest about coverage).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fodi.analytics import periods
from fodi.analytics import vocabulary as v
from fodi.analytics.periods import Period
from fodi.analytics.structured import StructuredQuery, Threshold

_CYRILLIC = re.compile(r"[а-я]")
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
        "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
        "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip
_MONTH_ALTERNATION = "|".join(f"(?P<m{n}>{p})" for n, p in v.MONTHS.items())
_YEAR = r"(?P<year>(?:19|20)\d\d)(?:\s*(?:year|года|году|год|г\.?))?"
_LAST = (
    r"last|past|previous|trailing|за последние|последние|за последних|за прошедшие|"
    r"за последний|за последнюю|за последнее"
)


@dataclass(slots=True)
class ParseResult:
    understood: bool
    language: str
    query: StructuredQuery | None = None
    reason: str = ""
    unknown: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)


class _Text:
    """The question being read; recognised spans are blanked so nothing is read twice."""

    def __init__(self, text: str) -> None:
        self.text = text

    def take(self, pattern: str, flags: int = 0) -> re.Match[str] | None:
        match = re.search(rf"(?<![\w@.$€£¥₽₸₩-])(?:{pattern})(?![\w@-])", self.text, flags)
        if match is not None:
            self.blank(match.start(), match.end())
        return match

    def take_all(self, pattern: str) -> list[re.Match[str]]:
        found = []
        while (match := self.take(pattern)) is not None:
            found.append(match)
        return found

    def find(self, pattern: str) -> re.Match[str] | None:
        return re.search(rf"(?<![\w@.$€£¥₽₸₩-])(?:{pattern})(?![\w@-])", self.text)

    def blank(self, start: int, end: int) -> None:
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]

    def leftovers(self) -> list[str]:
        words = re.findall(r"[\w$€£¥₽₸₩%@.'+-]+", self.text)
        return [
            w.strip(".-'") for w in words if w.strip(".-'") and w.strip(".-'") not in v.STOPWORDS
        ]


def normalize(question: str) -> str:
    text = question.lower().replace("ё", "е")
    text = re.sub(r"[“”«»\"`‘’]", " ", text)
    text = re.sub(r"[–—]", "-", text)
    text = re.sub(r"[?!;()\[\]{}]", " ", text)
    text = re.sub(r",(?!\d{3})", " ", text)  # keep 1,000 together, drop other commas
    return re.sub(r"\s+", " ", text).strip()


def language_of(question: str) -> str:
    return "ru" if _CYRILLIC.search(question.lower()) else "en"


def _number(word: str) -> int:
    return int(word) if word.isdigit() else v.NUMBER_WORDS[word]


class OfflineParser:
    """Stateless apart from the known values (locations, brands, ...) found in the data."""

    def __init__(self, known_values: Mapping[str, Sequence[str]] | None = None) -> None:
        self.known_values = {k: list(vals) for k, vals in (known_values or {}).items()}

    def parse(
        self, question: str, today: date, context: StructuredQuery | None = None
    ) -> ParseResult:
        language = language_of(question)
        text = _Text(normalize(question))
        if not text.text:
            return self._not_understood(language, "the question is empty")
        follow_up = text.take(v.FOLLOW_UP) is not None
        filters: dict[str, str] = {}
        self._take_customers(text, filters)
        compare = text.take(v.COMPARE_MARKERS) is not None
        threshold = self._take_threshold(text)
        found_periods = self._take_periods(text, today, compare)
        if isinstance(found_periods, str):
            return self._not_understood(language, found_periods)
        top, descending, popular = self._take_ranking(text)
        dimension, which = self._take_dimension(text)
        metric, refunded_only = self._take_metric(text)
        status_error = self._take_filters(text, filters)
        if status_error:
            return self._not_understood(language, status_error)
        unknown = text.leftovers()
        if unknown:
            return self._not_understood(
                language, "some words were not understood: " + ", ".join(unknown[:5]), unknown
            )
        if metric is None and popular:
            metric = "payments"
        if metric is None and (top is not None or which) and dimension is not None:
            metric = "revenue" if top is not None else None
        if which and top is None and dimension is not None and metric is not None:
            top = 1 if self._had_superlative else None
        query_parts: dict[str, Any] = {
            "metric": metric,
            "dimension": dimension,
            "filters": tuple(sorted(filters.items())),
            "threshold": threshold,
            "refunded_only": refunded_only,
        }
        if top is not None:
            query_parts.update(top=top, descending=descending)
        if len(found_periods) == 2:
            query_parts.update(period=found_periods[0], compare=found_periods[1])
        elif len(found_periods) == 1:
            query_parts["period"] = found_periods[0]
        if metric is None:
            if context is not None and (
                follow_up
                or any(query_parts[k] for k in ("dimension", "filters", "threshold"))
                or found_periods
            ):
                return self._follow_up(context, query_parts, found_periods, language)
            return self._not_understood(language, "no metric (revenue, payments, refunds, ...)")
        return self._finish(StructuredQuery(**query_parts), language)

    # -- pieces -------------------------------------------------------------------------

    _had_superlative = False

    def _take_customers(self, text: _Text, filters: dict[str, str]) -> None:
        email = text.take(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
        if email:
            filters["customer"] = email.group(0)
            text.take(r"customer|client|клиент\w*|покупател\w*|email|e-mail|почт\w*")
            return
        customer = text.take(r"cus_[a-z0-9]+")
        if customer:
            filters["customer"] = customer.group(0)
            text.take(r"customer|client|клиент\w*|покупател\w*")

    def _take_threshold(self, text: _Text) -> Threshold | None:
        for op_pattern, op in v.THRESHOLD_OPS:
            amount = (
                r"(?P<pre>[$€£¥₽₸₩])?\s*(?P<num>\d{1,3}(?:[ ,]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                r"\s*(?P<k>k|тыс\.?|тысяч\w*)?\s*(?P<post>[$€£¥₽₸₩]|"
                + "|".join(p for p, _ in v.CURRENCY_WORDS)
                + r")?"
            )
            match = text.find(rf"(?:{op_pattern})\s*{amount}")
            if match is None:
                continue
            if re.fullmatch(r"(?:19|20)\d\d", match.group("num")) and not (
                match.group("pre") or match.group("post")
            ):
                continue  # "до 2025" is a year, not an amount
            text.blank(match.start(), match.end())
            try:
                value = Decimal(re.sub(r"[ ,]", "", match.group("num")))
            except InvalidOperation:
                return None
            if match.group("k"):
                value *= 1000
            currency = self._currency_of(match.group("pre") or match.group("post"))
            return Threshold(op=op, amount=value, currency=currency)  # type: ignore[arg-type]
        return None

    @staticmethod
    def _currency_of(token: str | None) -> str | None:
        if not token:
            return None
        if token in v.CURRENCY_SYMBOLS:
            return v.CURRENCY_SYMBOLS[token]
        for pattern, code in v.CURRENCY_WORDS:
            if re.fullmatch(pattern, token):
                return code
        return None

    def _take_periods(self, text: _Text, today: date, compare: bool) -> list[Period] | str:
        found: list[tuple[int, Period]] = []

        def add(match: re.Match[str], period: Period) -> None:
            found.append((match.start(), period))

        iso = r"(\d{4}-\d{2}-\d{2})"
        for match in text.take_all(
            rf"(?:from|between|с|от|в период с)\s+{iso}\s+"
            rf"(?:to|and|until|till|through|по|до|-)\s+{iso}"
            rf"|{iso}\s*(?:-|to|по|\.\.)\s*{iso}"
        ):
            start_text = match.group(1) or match.group(3)
            end_text = match.group(2) or match.group(4)
            try:
                start, last = date.fromisoformat(start_text), date.fromisoformat(end_text)
            except ValueError:
                return f"not a date: {start_text} or {end_text}"
            if last < start:
                return "the period ends before it starts"
            add(match, Period(start, last + timedelta(days=1), f"{start} – {last}"))
        for match in text.take_all(rf"(?:since|from|starting|с|начиная с)\s+{iso}"):
            try:
                start = date.fromisoformat(match.group(1))
            except ValueError:
                return f"not a date: {match.group(1)}"
            add(match, Period(start, today + timedelta(days=1), f"since {start}"))
        for match in text.take_all(rf"(?:on|for|за|на)?\s*{iso}"):
            try:
                add(match, periods.day(date.fromisoformat(match.group(1))))
            except ValueError:
                return f"not a date: {match.group(1)}"
        for match in text.take_all(rf"(?:the\s+)?(?:{_LAST})\s+{v.NUMBER}\s+(?P<unit>\w+)"):
            grain = _grain(match.group("unit"))
            if grain is None:
                return f"unknown unit of time: {match.group('unit')}"
            count = _number(match.group(1))
            if not 1 <= count <= 1000:
                return "that period is out of range"
            label = f"last {count} {grain}s"
            add(match, periods.last_n(grain, count, today, label))
        for match in text.take_all(
            r"(?:the\s+)?past\s+(?P<unit>week|month|year)"
            r"|за последнюю неделю|за неделю|за месяц|за год"
        ):
            word = match.group(0)
            unit = match.group("unit") or (
                "week" if "недел" in word else "month" if "месяц" in word else "year"
            )
            days = {"week": 7, "month": 30, "year": 365}[unit]
            add(match, periods.last_n("day", days, today, f"last {days} days"))
        for pattern, grain, offset in v.RELATIVE:
            for match in text.take_all(rf"(?:in|for|during|over|from)?\s*(?:the\s+)?(?:{pattern})"):
                add(
                    match,
                    periods.current(
                        grain, today, offset, label=_relative_label(grain, offset, today)
                    ),
                )
        explicit_years = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text.text)]
        default_year = explicit_years[0] if len(set(explicit_years)) == 1 else None
        for match in text.take_all(
            rf"(?:in|for|during|since|в|во|за|с)?\s*(?:the\s+)?(?:{_quarter_alternation()})"
            rf"\s*(?:quarter|qtr|квартал\w*)(?:\s+(?:of\s+)?{_YEAR})?"
            rf"|(?:in|for|during|в|во|за)?\s*q(?P<qn>[1-4])"
            rf"(?:\s*(?:of\s+)?{_YEAR.replace('year>', 'year2>')})?"
        ):
            number = next((n for n in range(1, 5) if match.groupdict().get(f"q{n}")), None) or int(
                match.group("qn")
            )
            year = match.groupdict().get("year") or match.groupdict().get("year2")
            quarter_year = (
                int(year) if year else default_year or _recent_year(3 * (number - 1) + 1, today)
            )
            add(match, periods.quarter(quarter_year, number))
        for match in text.take_all(
            rf"(?P<since>since|starting|с|начиная с)?\s*(?:in|for|during|в|во|за)?\s*"
            rf"(?:{_MONTH_ALTERNATION})(?:\s+(?:of\s+)?{_YEAR})?"
        ):
            number = next(n for n in range(1, 13) if match.group(f"m{n}"))
            year = (
                int(match.group("year"))
                if match.group("year")
                else default_year or _recent_year(number, today)
            )
            month = periods.month(year, number)
            if match.group("since"):
                month = Period(month.start, today + timedelta(days=1), f"since {month.label}")
            add(match, month)
        for match in text.take_all(rf"(?:in|for|during|в|во|за|of)?\s*{_YEAR}"):
            add(match, periods.year(int(match.group("year"))))
        if (
            compare
            and len(found) == 1
            and text.find(
                r"(?:the\s+)?(?:previous|prior|one before|the one before|прошл\w*|предыдущ\w*)"
            )
        ):
            text.take(
                r"(?:the\s+)?(?:previous|prior|one before|the one before|прошл\w*|предыдущ\w*)"
                r"(?:\s+(?:one|год\w*|месяц\w*|недел\w*|квартал\w*|year|month|week|quarter))?"
            )
            first = found[0][1]
            grain = _grain_of(first)
            if grain is None:
                return "cannot tell which period to compare with"
            shifted = periods.current(grain, first.start, -1)
            found.append((10**6, shifted))
        if len(found) > 2:
            return "more than two periods"
        found.sort(key=lambda item: item[0])
        return [period for _, period in found]

    def _take_ranking(self, text: _Text) -> tuple[int | None, bool, bool]:
        self._had_superlative = False
        popular = text.take(v.POPULAR) is not None
        if popular:
            self._had_superlative = True
        numbered = text.take(
            rf"(?:top|топ|first|первы\w*)[\s-]*{v.NUMBER}|{v.NUMBER}\s+(?:top|best|biggest|largest|highest|most|лучш\w*|крупнейш\w*|самы\w*|топовы\w*)"
        )
        if numbered:
            number = next(g for g in numbered.groups() if g)
            self._had_superlative = True
            text.take(v.SUPERLATIVE_HIGH)
            return _number(number), True, popular
        low_numbered = text.take(
            rf"(?:bottom|worst|lowest)[\s-]*{v.NUMBER}"
            rf"|{v.NUMBER}\s+(?:worst|lowest|smallest|худш\w*|самы\w* (?:низк|мал)\w*)"
        )
        if low_numbered:
            number = next(g for g in low_numbered.groups() if g)
            self._had_superlative = True
            text.take(v.SUPERLATIVE_LOW)
            return _number(number), False, popular
        if text.take(v.SUPERLATIVE_LOW):
            self._had_superlative = True
            return 1, False, popular
        if text.take(r"top|топ"):
            self._had_superlative = True
            text.take(v.SUPERLATIVE_HIGH)
            return 5, True, popular
        if text.take(v.SUPERLATIVE_HIGH):
            self._had_superlative = True
            return 1, True, popular
        if popular:
            return 1, True, popular
        return None, True, popular

    def _take_dimension(self, text: _Text) -> tuple[str | None, bool]:
        for pattern, dimension in v.DIMENSION_ADVERBS:
            if text.take(pattern):
                return dimension, False
        for pattern, dimension in v.DIMENSION_WORDS:
            if text.take(rf"(?:{v.DIMENSION_MARKERS})\s+(?:the\s+|a\s+)?(?:{pattern})"):
                return dimension, False
        for pattern, dimension in v.DIMENSION_WORDS:
            if text.take(rf"(?:{v.WHICH})\s+(?:\w+\s+)?(?:{pattern})"):
                return dimension, True
        if self._had_superlative:
            for pattern, dimension in v.DIMENSION_WORDS:
                if text.take(pattern):
                    return dimension, True
        return None, False

    def _take_metric(self, text: _Text) -> tuple[str | None, bool]:
        for pattern, metric in v.METRIC_PATTERNS:
            if text.take(pattern):
                if metric == "refunded_payments":
                    return "payments", True
                # A second metric word would be a question we cannot answer in one table.
                for other, other_metric in v.METRIC_PATTERNS:
                    if other_metric not in (metric, "payments") and text.find(other):
                        return "__ambiguous__", False
                text.take_all(r"платеж\w*|payments?|transactions?|оплат\w*|транзакци\w*")
                return metric, False
        return None, False

    def _take_filters(self, text: _Text, filters: dict[str, str]) -> str:
        for pattern, status in v.STATUS_WORDS:
            if text.take(pattern):
                filters["status"] = status
        for pattern, brand in v.CARD_BRANDS:
            # "Mir cards", "картой Мир": the card word belongs to the brand, not a method.
            card = r"cards?|картой|карт\w*"
            if text.take(rf"(?:(?:{card})\s+)?(?:{pattern})(?:\s+(?:{card}))?"):
                filters["card_brand"] = brand
        for pattern, method in v.PAYMENT_METHODS:
            if text.take(pattern):
                filters["payment_method"] = method
        for symbol, code in v.CURRENCY_SYMBOLS.items():
            if symbol in text.text:
                text.text = text.text.replace(symbol, " ")
                filters["currency"] = code
        for pattern, code in v.CURRENCY_WORDS:
            if text.take(rf"(?:in\s+|в\s+)?(?:{pattern})"):
                filters["currency"] = code
        self._take_known(text, filters)
        return ""

    def _take_known(self, text: _Text, filters: dict[str, str]) -> None:
        for field_name in ("location", "card_brand", "payment_method", "customer"):
            for value in self.known_values.get(field_name, ()):
                if field_name in filters:
                    break
                pattern = _value_pattern(value)
                if pattern and text.take(rf"(?:in|at|from|for|в|во|на|из|для|у)?\s*(?:{pattern})"):
                    filters[field_name] = value
        if "location" not in filters:
            for pattern, alias in v.LOCATION_ALIASES:
                known = next(
                    (k for k in self.known_values.get("location", ()) if k.lower() == alias), None
                )
                if known and text.take(rf"(?:в|во|на|из|для|у)?\s*(?:{pattern})"):
                    filters["location"] = known
                    return
            for value in self.known_values.get("location", ()):
                if _take_transliterated(text, value):
                    filters["location"] = value
                    break

    # -- results ------------------------------------------------------------------------

    def _follow_up(
        self,
        context: StructuredQuery,
        parts: dict[str, Any],
        found_periods: Sequence[Period],
        language: str,
    ) -> ParseResult:
        merged_filters = dict(context.filters)
        merged_filters.update(dict(parts["filters"]))
        changes: dict[str, Any] = {"filters": tuple(sorted(merged_filters.items()))}
        if parts["dimension"]:
            changes["dimension"] = parts["dimension"]
        if parts["threshold"]:
            changes["threshold"] = parts["threshold"]
        if "top" in parts:
            changes.update(top=parts["top"], descending=parts["descending"])
        if len(found_periods) == 2:
            changes.update(period=found_periods[0], compare=found_periods[1])
        elif len(found_periods) == 1:
            changes.update(period=found_periods[0], compare=None)
        return self._finish(context.with_changes(**changes), language)

    def _finish(self, query: StructuredQuery, language: str) -> ParseResult:
        if query.metric == "__ambiguous__":
            return self._not_understood(language, "two different metrics in one question")
        status = query.filter_value("status")
        if status is not None and query.metric != "payments":
            if status == "succeeded" and query.metric in (
                "revenue",
                "average_payment",
                "customers",
            ):
                query = query.with_changes(
                    filters=tuple(f for f in query.filters if f[0] != "status")
                )
            else:
                return self._not_understood(
                    language, f"{query.metric} is defined by the glossary, not per status"
                )
        if query.top is not None and query.dimension is None:
            return self._not_understood(language, "a ranking needs something to rank (by what?)")
        if query.dimension == "status" and status is not None:
            return self._not_understood(language, "grouping by status while filtering one status")
        return ParseResult(understood=True, language=language, query=query)

    @staticmethod
    def _not_understood(language: str, reason: str, unknown: Iterable[str] = ()) -> ParseResult:
        return ParseResult(
            understood=False,
            language=language,
            reason=reason,
            unknown=list(unknown),
            suggestions=list(v.SUGGESTIONS[language]),
        )


def _quarter_alternation() -> str:
    return "|".join(f"(?P<q{n}>{p})" for n, p in v.ORDINALS.items())


def _grain(word: str) -> str | None:
    for pattern, grain in v.GRAIN_WORDS:
        if re.fullmatch(pattern, word):
            return grain
    return None


def _grain_of(period: Period) -> str | None:
    length = (period.end - period.start).days
    if length == 1:
        return "day"
    if length == 7 and period.start.weekday() == 0:
        return "week"
    if period.start.day == 1 and period.end == periods.add_months(period.start, 1):
        return "month"
    if period.start.day == 1 and period.end == periods.add_months(period.start, 3):
        return "quarter"
    if period.start.day == 1 and period.end == periods.add_months(period.start, 12):
        return "year"
    return None


def _recent_year(month: int, today: date) -> int:
    """A month named without a year: the most recent one that has begun."""
    return today.year if month <= today.month else today.year - 1


def _relative_label(grain: str, offset: int, today: date) -> str:
    names = {
        ("day", 0): "today",
        ("day", -1): "yesterday",
        ("week", 0): "this week",
        ("week", -1): "last week",
        ("month", 0): "this month",
        ("month", -1): "last month",
        ("quarter", 0): "this quarter",
        ("quarter", -1): "last quarter",
        ("year", 0): "this year",
        ("year", -1): "last year",
    }
    return names[(grain, offset)]


def _value_pattern(value: str) -> str:
    words = [re.escape(w) for w in re.split(r"[\s_]+", value.lower().replace("ё", "е")) if w]
    return r"[\s_-]*".join(words)


def _take_transliterated(text: _Text, value: str) -> bool:
    """Russian spellings of a Latin location name, in any case ending: "в Бишкеке" → Bishkek."""
    target = re.sub(r"[^a-z]", "", value.lower())
    if len(target) < 2:
        return False
    words = list(re.finditer(r"[а-я]+", text.text))
    spans = [(w.start(), w.end()) for w in words]
    spans += [(a.start(), b.end()) for a, b in itertools.pairwise(words)]
    for start, end in spans:
        latin = re.sub(r"[^a-z]", "", text.text[start:end].translate(_TRANSLIT))
        common = len(_common_prefix(latin, target))
        needed = len(target) if len(target) <= 4 else len(target) - 1
        if common >= needed and len(latin) <= len(target) + 3:
            text.blank(start, end)
            return True
    return False


def _common_prefix(a: str, b: str) -> str:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return a[:length]
