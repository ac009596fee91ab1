"""The reliable way to load payments.csv: one transaction and an upsert, so a
crash leaves the table as it was, a rerun changes nothing, and two copies at
once apply each payment exactly once."""
import csv
import os
import sqlite3
import sys
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
DB_PATH = os.environ.get("RELIABILITY_SQLITE_PATH", "payments.db")
CSV_PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "payments.csv")

UPSERT = """
    INSERT INTO payments (payment_id, user_id, amount, currency, status, processed_at)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT(payment_id) DO UPDATE
        SET status = excluded.status, processed_at = excluded.processed_at
        -- An identical row is left alone, so a rerun keeps its processed_at.
        WHERE payments.status IS NOT excluded.status
"""

# Read the whole file first: a malformed CSV fails before the write lock is taken.
with open(CSV_PATH, newline="") as f:
    rows = [(r["payment_id"], r["user_id"], r["amount"], r["currency"], r["status"])
            for r in csv.DictReader(f)]
# One timestamp per run: the batch is processed as a unit.
now = datetime.now(timezone.utc).isoformat()

# isolation_level=None: Python must not open transactions behind our back; we
# issue BEGIN/COMMIT ourselves. timeout=30: a second copy waits for the lock.
conn = sqlite3.connect(DB_PATH, timeout=30, isolation_level=None)
try:
    # IMMEDIATE takes the write lock now. A deferred BEGIN would read first and
    # then fail with SQLITE_BUSY when upgrading to write while another copy holds
    # the lock -- the busy timeout cannot help a reader that must upgrade.
    conn.execute("BEGIN IMMEDIATE")
    inserted = updated = unchanged = 0
    for pid, user, amount, currency, status in rows:
        old = conn.execute(
            "SELECT user_id, amount, currency, status FROM payments WHERE payment_id = ?",
            (pid,)).fetchone()
        # The same id with another user, amount or currency is a different payment:
        # overwriting it would silently corrupt money, so stop the whole batch.
        # (Amounts compare as text: the CSV is the source, "5.0" vs "5.00" is a change.)
        if old is not None and old[:3] != (user, amount, currency):
            raise ValueError(f"{pid} already stored as {old[:3]}, file says {(user, amount, currency)}")
        conn.execute(UPSERT, (pid, user, amount, currency, status, now))
        if old is None:
            inserted += 1
        elif old[3] != status:
            updated += 1
        else:
            unchanged += 1
    conn.execute("COMMIT")
except Exception as e:
    # Nothing of this run is kept: the table is exactly as before.
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    print(f"robust: rolled back, nothing written: {e}", file=sys.stderr)
    sys.exit(1)
print(f"robust: {inserted} inserted, {updated} updated, {unchanged} unchanged")
