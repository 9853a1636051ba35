"""A transactional outbox: side effects (email) written as rows in the same transaction as the change that causes
them, and delivered by the job queue once that transaction has committed.

    outbox.add("kind", {...}, key="optional idempotency key")   # in the caller's transaction; no commit
    @outbox.handler("kind")                                      # fn(payload), the work done for each row

A crash, a Redis outage or a killed worker can therefore never lose a message that was committed, nor send one
whose change was rolled back. After each commit that added rows a delivery job is queued (best effort); every minute
the worker sweeps for rows still due. Rows are claimed under a lease so two workers never run one at once, marked
done in the handler's own transaction, retried with exponential backoff, and given up (the error kept on the row and
logged) after OUTBOX_MAX_ATTEMPTS. A worker killed in the middle of sending leaves its lease to run out and the row
is sent again, with the same Message-ID (at least once, and recognisably the same message).
"""

from .service import add, email, handler

__all__ = ["add", "email", "handler"]
