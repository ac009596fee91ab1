"""Bring the lesson's database to its before-state: an empty-ish payments table
holding two rows from an earlier batch, neither of them in payments.csv."""
import os
import sqlite3

DB_PATH = os.environ.get("RELIABILITY_SQLITE_PATH", "payments.db")

conn = sqlite3.connect(DB_PATH, isolation_level=None)
# One transaction, so the harness never sees a half-built before-state.
conn.execute("BEGIN IMMEDIATE")
conn.execute("DROP TABLE IF EXISTS payments")
# amount is TEXT holding the exact decimal from the CSV: REAL is binary floating
# point, so 0.1 + 0.2 != 0.3 and a stored "19.90" could come back as 19.899999...;
# money must round-trip and compare exactly.
conn.execute("""
    CREATE TABLE payments (
        payment_id   TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL,
        amount       TEXT NOT NULL,
        currency     TEXT NOT NULL,
        status       TEXT NOT NULL,
        processed_at TEXT NOT NULL
    )""")
conn.executemany(
    "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?)",
    [
        ("pay_0000", "user_017", "10.00", "USD", "captured", "2024-05-31T23:58:12+00:00"),
        ("pay_0013", "user_150", "75.40", "EUR", "authorized", "2024-05-31T23:59:47+00:00"),
    ],
)
conn.execute("COMMIT")
conn.close()
print(f"setup: payments reset to 2 rows in {DB_PATH}")
