"""Canadian French date formats: "1 décembre 2026, 14 h 30".

Django's own fr_CA module leaves the "h" of "14 h 30" unescaped, which prints the 12-hour clock
("14 02 30"); these are the same formats with the letter escaped.
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H\xa0\\h\xa0i"
DATETIME_FORMAT = "j F Y, H\xa0\\h\xa0i"
SHORT_DATETIME_FORMAT = "Y-m-d H\xa0\\h\xa0i"
