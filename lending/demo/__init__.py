"""
The demo portfolio (`manage.py seed_demo`): a believable, deterministic book of
borrowers, accounts, schedules and payment histories, fast enough for a
million accounts. `names` holds the data it draws from, `generator` turns a
seed into rows (with `book`, the products and shares it draws against,
`people`, the borrowers and their contact points, and `accounts`, the
accounts and their schedules), `writers` puts them into the database (COPY on PostgreSQL,
executemany on SQLite) and derives payments from the paid installments in SQL.
"""
