"""
Simplified Chinese: amounts are grouped by thousands with a comma
("1,012.50 CNY"), as Chinese banks, lenders' apps and statements write them,
where Django's zh_Hans module groups nothing. Dates and the rest stay Django's.
"""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
