"""The office server's store: PostgreSQL through psycopg 3 (the only code that runs SQL on the server)."""
