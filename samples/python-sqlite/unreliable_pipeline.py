"""The broken way to load payments.csv: every row is its own autocommitted
INSERT, so a crash leaves a partial table, and a rerun (or a second copy running
at the same time) fails on the primary key."""
import csv
import os
import sqlite3
import sys
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
DB_PATH = os.environ.get("RELIABILITY_SQLITE_PATH", "payments.db")
CSV_PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "payments.csv")

# isolation_level=None: autocommit, each statement is durable on its own -- the
# mistake this script exists to show.
conn = sqlite3.connect(DB_PATH, isolation_level=None)
inserted = 0
with open(CSV_PATH, newline="") as f:
    for row in csv.DictReader(f):
        try:
            # A plain INSERT assumes the row is new; nothing makes a rerun safe.
            conn.execute(
                "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?)",
                (row["payment_id"], row["user_id"], row["amount"], row["currency"],
                 row["status"], datetime.now(timezone.utc).isoformat()),
            )
        except sqlite3.Error as e:
            # The rows before this one are already committed and stay behind.
            print(f"unreliable: failed on {row['payment_id']} after {inserted} inserted: {e}",
                  file=sys.stderr)
            sys.exit(1)
        inserted += 1
print(f"unreliable: {inserted} inserted")
