"""Team mode's store on PostgreSQL: many consoles and processes on one database.

In progress (issue 14). What is here: the connection (`connection`, the one module that
imports psycopg), versioned forward-only migrations (`migrations`, `migrations/*.sql`) and
the first schema, behind `crisis-console db init | migrate | status`. The store itself,
behind the contract in `store/contract.py`, is not wired in yet: the console and the CLI still
run on the TinyDB folder.
"""
