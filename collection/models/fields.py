"""What several of collection's models share."""

from decimal import Decimal

ZERO = Decimal("0.00")
