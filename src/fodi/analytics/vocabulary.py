"""The words the offline engine knows, in English and Russian (regular expressions).

Each table maps a pattern to what it means.  Patterns are matched on lower-cased text with
``ё`` folded to ``е``; Russian stems end in ``\\w*`` so every case ending matches.
"""

from __future__ import annotations

MONTHS: dict[int, str] = {
    1: r"jan(?:uary)?|январ\w*",
    2: r"feb(?:ruary)?|феврал\w*",
    3: r"mar(?:ch)?|март\w*",
    4: r"apr(?:il)?|апрел\w*",
    5: r"may|ма[йяе]",
    6: r"june?|июн\w*",
    7: r"july?|июл\w*",
    8: r"aug(?:ust)?|август\w*",
    9: r"sep(?:t(?:ember)?)?|сентябр\w*",
    10: r"oct(?:ober)?|октябр\w*",
    11: r"nov(?:ember)?|ноябр\w*",
    12: r"dec(?:ember)?|декабр\w*",
}
ORDINALS: dict[int, str] = {
    1: r"first|1st|перв\w*|1-?(?:й|ом|ый)",
    2: r"second|2nd|втор\w*|2-?(?:й|ом|ой)",
    3: r"third|3rd|трет\w*|3-?(?:й|ем|ий)",
    4: r"fourth|4th|четверт\w*|4-?(?:й|ом|ый)",
}
NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20,
    "один": 1, "одного": 1, "два": 2, "двух": 2, "три": 3, "трех": 3, "четыре": 4,
    "четырех": 4, "пять": 5, "пяти": 5, "шесть": 6, "шести": 6, "семь": 7, "семи": 7,
    "десять": 10, "десяти": 10, "двадцать": 20, "двадцати": 20,
}  # fmt: skip
NUMBER = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"

# Relative periods: pattern → (grain, offset).  Offsets count calendar units from today's.
RELATIVE: list[tuple[str, str, int]] = [
    (r"today|сегодня|за сегодня", "day", 0),
    (r"yesterday|вчера|за вчера", "day", -1),
    (
        (
            r"this week|(?:на |за )?(?:этой|текущей) неделе|(?:за )?(?:эту|"
            r"текущую) неделю|week to date|wtd|с начала недели"
        ),
        "week",
        0,
    ),
    (
        (
            r"last week|previous week|the week before|(?:на |за )?прошл\w* неделе|"
            r"(?:за )?прошлую неделю|на предыдущей неделе|за предыдущую неделю"
        ),
        "week",
        -1,
    ),
    (
        (
            r"this month|current month|month to date|mtd|(?:в |за )?(?:этом|"
            r"текущем) месяце|(?:за )?(?:этот|текущий) месяц|с начала месяца"
        ),
        "month",
        0,
    ),
    (
        (
            r"last month|previous month|the month before|(?:в |за )?прошлом месяце|"
            r"(?:за )?прошлый месяц|(?:в |за )?предыдущем месяце|"
            r"за предыдущий месяц|за последний месяц"
        ),
        "month",
        -1,
    ),
    (
        (
            r"this quarter|current quarter|quarter to date|qtd|(?:в |за )?(?:этом|"
            r"текущем) квартале|(?:за )?(?:этот|текущий) квартал|с начала квартала"
        ),
        "quarter",
        0,
    ),
    (
        (
            r"last quarter|previous quarter|(?:в |за )?прошлом квартале|"
            r"(?:за )?прошлый квартал|(?:в |за )?предыдущем квартале|"
            r"за предыдущий квартал"
        ),
        "quarter",
        -1,
    ),
    (
        (
            r"this year|current year|year to date|ytd|(?:в |за )?(?:этом|"
            r"текущем) году|(?:за )?(?:этот|текущий) год|с начала года"
        ),
        "year",
        0,
    ),
    (
        (
            r"last year|previous year|the year before|(?:в |за )?прошлом году|"
            r"(?:за )?прошлый год|(?:в |за )?предыдущем году|за предыдущий год"
        ),
        "year",
        -1,
    ),
]
GRAIN_WORDS: list[tuple[str, str]] = [
    (r"days?|дн\w*|день|суток", "day"),
    (r"weeks?|недел\w*", "week"),
    (r"months?|месяц\w*", "month"),
    (r"quarters?|квартал\w*", "quarter"),
    (r"years?|год\w*|лет", "year"),
]

# Metrics, most specific first.
METRIC_PATTERNS: list[tuple[str, str]] = [
    (
        (
            r"net (?:revenue|sales|income)|revenue (?:net of|after|minus|"
            r"less) refunds|чист\w* (?:выручк\w*|доход\w*|продаж\w*)|"
            r"выручк\w* (?:за вычетом|минус|после) возврат\w*"
        ),
        "net_revenue",
    ),
    (
        (
            r"refund (?:rate|ratio|percentage|share)|rate of refunds|(?:share|"
            r"percentage|percent|proportion) of refunds|(?:доля|процент|уровень|"
            r"коэффициент) возврат\w*"
        ),
        "refund_rate",
    ),
    (
        (
            r"(?:payment )?(?:failure|fail|failed|decline|declined|error) (?:rate|"
            r"ratio|percentage|share)|(?:rate|share|percentage|percent|"
            r"proportion) of (?:failed|declined|unsuccessful) (?:payments|"
            r"transactions|charges)|(?:доля|процент|уровень) (?:неудачн|неуспешн|"
            r"отклоненн|проваленн|ошибочн)\w*(?: (?:платеж|оплат|транзакци)\w*)?|"
            r"(?:доля|процент|уровень) (?:отказ|ошиб|сбо)\w*"
        ),
        "failure_rate",
    ),
    (
        (
            r"average (?:payment|order value|order|check|ticket|transaction|sale|"
            r"amount|payment amount|basket|spend)s?(?: (?:amount|value|size))?|"
            r"avg\.? (?:payment|order|check|ticket|transaction)s?|mean payment|aov|"
            r"средн\w* (?:чек\w*|платеж\w*|плат\w*|оплат\w*|сумм\w*(?: (?:платеж|"
            r"оплат|заказ)\w*)?|стоимост\w*(?: заказ\w*)?|заказ\w*|транзакци\w*)"
        ),
        "average_payment",
    ),
    (
        (
            r"(?:how many|number of|count of|amount of|total) refunded (?:payments|"
            r"transactions|charges|orders)|(?:количество|число|"
            r"сколько)(?: было)? (?:возвращенн|отмененн с возврат)\w* (?:платеж|"
            r"оплат|транзакци)\w*"
        ),
        "refunded_payments",
    ),
    (
        (
            r"refunds?(?: (?:amount|total|volume|sum))?|refunded(?: amount| money|"
            r" total)?|amount refunded|money (?:we )?refunded|(?:сумм\w* |"
            r"объем\w* )?возврат\w*|вернули"
        ),
        "refunds",
    ),
    (
        (
            r"(?:unique|distinct|paying|active)? ?(?:customers|clients|buyers|"
            r"payers|shoppers)|(?:уникальн\w* |активн\w* |платящ\w* )?(?:клиент\w*|"
            r"покупател\w*|плательщик\w*)"
        ),
        "customers",
    ),
    (
        (
            r"gross (?:revenue|sales|volume)|revenue|sales volume|sales|income|"
            r"turnover|earnings|takings|"
            r"how much (?:money )?(?:did )?(?:we )?(?:make|made|earn|earned|take|"
            r"took|bring in|brought in)|money (?:we )?(?:made|earned|took)|"
            r"выручк\w*|доход\w*|оборот\w*|продаж\w*|заработ\w*|сколько денег"
        ),
        "revenue",
    ),
    (
        (
            r"(?:number|count|amount|volume) of (?:payments|transactions|charges|"
            r"orders)|(?:payments?|transactions?|charges?|orders?)(?: count|"
            r" number)?|(?:количеств\w*|числ\w*|объем\w*) (?:платеж|оплат|транзакци|"
            r"заказ)\w*|платеж\w*|транзакци\w*|оплат\w*|заказ\w*|чек\w*"
        ),
        "payments",
    ),
]

# Dimensions.  A dimension needs a marker ("by", "per", "по", "which", ...) or an adverb.
DIMENSION_WORDS: list[tuple[str, str]] = [
    (r"days? of (?:the )?week|weekdays?|day-of-week|дн\w* недели|день недели", "weekday"),
    (r"hours? of (?:the )?day|time of day|hours?|час\w*|времени суток", "hour"),
    (r"days?|dates?|дн\w*|день|датам|дате", "day"),
    (r"weeks?|недел\w*", "week"),
    (r"months?|месяц\w*", "month"),
    (r"quarters?|квартал\w*", "quarter"),
    (r"years?|год\w*", "year"),
    (r"currenc(?:y|ies)|валют\w*", "currency"),
    (r"status(?:es)?|статус\w*", "status"),
    (
        (
            r"card (?:brands?|networks?|types?|schemes?)|brands?|cards?|(?:бренд\w*|"
            r"тип\w*) карт\w*|платежн\w* систем\w*|карт\w*|бренд\w*"
        ),
        "card_brand",
    ),
    (
        (
            r"payment (?:methods?|types?|sources?|source types?)|"
            r"methods? of payment|methods?|(?:способ|метод|тип|вид)\w* оплаты|"
            r"(?:способ|метод)\w*"
        ),
        "payment_method",
    ),
    (
        (
            r"locations?|restaurants?|stores?|branch(?:es)?|shops?|venues?|outlets?|"
            r"cit(?:y|ies)|sites?|локаци\w*|ресторан\w*|филиал\w*|точк\w*|город\w*|"
            r"заведени\w*|магазин\w*"
        ),
        "location",
    ),
    (r"customers?|clients?|buyers?|payers?|клиент\w*|покупател\w*|плательщик\w*", "customer"),
]
DIMENSION_ADVERBS: list[tuple[str, str]] = [
    (
        r"daily|per day|each day|every day|day by day|ежедневн\w*|по дням(?! недели)|подневн\w*",
        "day",
    ),
    (
        r"weekly|per week|each week|every week|week by week|еженедельн\w*|по неделям|понедельн\w*",
        "week",
    ),
    (
        (
            r"monthly|per month|each month|every month|month by month|ежемесячн\w*|"
            r"помесячн\w*|по месяцам"
        ),
        "month",
    ),
    (
        (
            r"quarterly|per quarter|each quarter|every quarter|ежеквартальн\w*|"
            r"поквартальн\w*|по кварталам"
        ),
        "quarter",
    ),
    (
        r"yearly|annual(?:ly)?|per year|each year|every year|year by year|ежегодн\w*|по годам",
        "year",
    ),
    (r"hourly|per hour|each hour|every hour|ежечасн\w*|по часам", "hour"),
]
DIMENSION_MARKERS = (
    r"by|per|for each|for every|each|every|across|broken down by|split by|grouped by|group by|"
    r"breakdown by|in each|по|в разрезе|с разбивкой по|разбивка по|для каждого|для каждой|"
    r"для каждых|каждому|каждой|каждого|по каждому|по каждой|по разным"
)
WHICH = (
    r"which|what|whose|какой|какая|какие|какое|каком|какой из|в каком|в какой|в какие|у какого|"
    r"у какой|у каких|каких|кто из"
)

SUPERLATIVE_HIGH = (
    r"highest|most|largest|biggest|greatest|best|top|maximum|max|больше всего|наибольш\w*|"
    r"наивысш\w*|максимальн\w*|сам(?:ый|ая|ое|ые|ой|ую|ых|ом) (?:высок|"
    r"больш|крупн|лучш)\w*|самый|самая|самое|лучш\w*|"
    r"крупнейш\w*|чаще всего|most popular|популярн\w*"
)
SUPERLATIVE_LOW = (
    r"lowest|least|smallest|fewest|worst|minimum|min|bottom|меньше всего|наименьш\w*|"
    r"минимальн\w*|сам(?:ый|ая|ое|ые|ой|ую|ых|ом) (?:низк|мал|худш)\w*|худш\w*|реже всего"
)
POPULAR = r"most popular|popular|популярн\w*|чаще всего|most used|most common"

STATUS_WORDS: list[tuple[str, str]] = [
    (
        (
            r"succeeded|successful|success|paid|completed|captured|успешн\w*|"
            r"проведенн\w*|оплаченн\w*|прошедш\w*"
        ),
        "succeeded",
    ),
    (
        (
            r"failed|declined|unsuccessful|failures?|неудачн\w*|неуспешн\w*|"
            r"отклоненн\w*|проваленн\w*|не прошедш\w*|ошибочн\w*"
        ),
        "failed",
    ),
    (r"pending|in progress|incomplete|в ожидании|ожидающ\w*|незавершенн\w*", "pending"),
    (r"canceled|cancelled|voided|отмененн\w*|отменен\w*", "canceled"),
]
CARD_BRANDS: list[tuple[str, str]] = [
    (r"visa|виза|визе|визы|визой", "visa"),
    (r"master ?card|mc|мастер ?кард\w*|мастеркард\w*", "mastercard"),
    (r"amex|american express|американ экспресс", "amex"),
    (r"mir|мир", "mir"),
    (r"union ?pay|юнион ?пэй", "unionpay"),
    (r"jcb", "jcb"),
    (r"discover", "discover"),
]
PAYMENT_METHODS: list[tuple[str, str]] = [
    (r"apple ?pay|эпл ?пэй|эппл ?пэй", "apple_pay"),
    (r"google ?pay|гугл ?пэй", "google_pay"),
    (r"cash|наличн\w*|налом", "cash"),
    (r"bank transfers?|sepa(?: debit)?|банковск\w* перевод\w*|перевод\w*", "bank_transfer"),
    (r"qr(?: code)?|qr-код\w*|по qr", "qr"),
    (r"card payments?|by card|with a card|with card|картой|карточк\w*|по карте", "card"),
]
CURRENCY_WORDS: list[tuple[str, str]] = [
    (r"usd|us dollars?|dollars?|bucks|доллар\w*|бакс\w*", "USD"),
    (r"eur|euros?|евро", "EUR"),
    (r"gbp|pounds?(?: sterling)?|фунт\w*", "GBP"),
    (r"jpy|yen|иен\w*|йен\w*", "JPY"),
    (r"krw|won|вон", "KRW"),
    (r"rub|rubles?|roubles?|руб\w*", "RUB"),
    (r"kzt|tenge|тенге", "KZT"),
    (r"kgs|soms?|сом|сомов|сомах|сома", "KGS"),
    (r"uzs|uzbek sum", "UZS"),
    (r"cny|yuan|rmb|юан\w*", "CNY"),
    (r"chf|swiss francs?|франк\w*", "CHF"),
]
CURRENCY_SYMBOLS = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₽": "RUB",
    "₸": "KZT",
    "₩": "KRW",
}
THRESHOLD_OPS: list[tuple[str, str]] = [
    (
        r"at least|no less than|not less than|minimum of|min\.?|>=|≥|не менее|не меньше|минимум|от",
        ">=",
    ),
    (
        r"at most|no more than|not more than|up to|maximum of|<=|≤|не более|не больше|максимум|до",
        "<=",
    ),
    (
        (
            r"over|above|more than|greater than|bigger than|larger than|exceeding|>|"
            r"больше|более|свыше|выше|дороже"
        ),
        ">",
    ),
    (r"under|below|less than|smaller than|cheaper than|<|меньше|менее|ниже|дешевле", "<"),
]
COMPARE_MARKERS = (
    r"compare(?:d)?(?: to| with)?|comparison(?: of| between)?|vs\.?|versus|against|"
    r"compared to|relative to|сравн\w*(?: с| со)?|по сравнению с|против|в сравнении с"
)

# Words that carry no meaning for the query; anything else left over means "not understood".
STOPWORDS = frozenset(
    " ".join(
        (
            "a an the of for in on at to from during within over into per and or & with what",
            "whats what's how much many was were is are be been did do does done has have had",
            "we our us i me my you your show shows give gives tell list display get see find",
            "calculate compute report please total overall all sum amount value values number",
            "numbers count counts there their it its this that these those which who whose",
            "whom by each as so far then than same also just only can could would will should",
            "may might let lets let's us? kindly breakdown broken down split grouped group",
            "between since until till up time period figure figures stats statistics metric",
            "metrics data overview summary look looking want need know like about around",
            "roughly approximately generated made brought did happen happened exactly our",
            "all-time ever so-far in total altogether compare comparison vs versus make какой",
            "какая какие какое каком каких какую каков какова каковы сколько был была было",
            "были будет есть у нас наш наша наше наши мы я мне меня покажи покажите показать",
            "выведи выведите вывести дай дайте дать скажи скажите сказать посчитай посчитайте",
            "посчитать рассчитай рассчитать пожалуйста за в во на по и или с со от до из к ко",
            "о об а же ли бы это этот эта эти тот та те то всего всех все весь вся итого итог",
            "общая общий общее общие общую сумма суммы сумму сумм составил составила",
            "составило составили составляет составляют получили получил получено какое-то",
            "сделали сделано какой-нибудь какие-нибудь ли был-ли среди между период периода",
            "периоде период данные данных статистика статистику цифры значение значения",
            "показатель показатели отчет хочу хотим нужно надо узнать знать посмотреть",
            "смотреть там тут здесь как насчет примерно около разбивка разбивкой разрезе",
            "каждый каждая каждое каждую которые который которая количество число принес",
            "принесла принесло принесли",
        )
    ).split()
)
FOLLOW_UP = (
    r"^(?:and|what about|how about|same for|and for|а|а если|и|а что|"
    r"что насчет|то же|то же самое)\b"
)

SUGGESTIONS = {
    "en": [
        "revenue by month this year",
        "top 5 locations by revenue last month",
        "failure rate by card brand in the last 30 days",
        "compare net revenue this month vs last month",
        "how many payments over $100 yesterday",
    ],
    "ru": [
        "выручка по месяцам в этом году",
        "топ 5 ресторанов по выручке за прошлый месяц",
        "доля неудачных платежей по брендам карт за последние 30 дней",
        "сравни чистую выручку за этот месяц и прошлый",
        "сколько платежей больше 100 долларов вчера",
    ],
}

# Russian names of cities whose Latin spelling does not transliterate back (any case ending).
LOCATION_ALIASES: list[tuple[str, str]] = [
    (r"нью[- ]?йорк\w*", "new york"),
    (r"токио", "tokyo"),
    (r"алма[- ]?ат\w*", "almaty"),
    (r"москв\w*", "moscow"),
    (r"лондон\w*", "london"),
    (r"париж\w*", "paris"),
]
