"""Comments of session feedback as feedback stores them: each sealed in its own field under a
data key of its own that travels wrapped beside it (shared.sealing.seal_enveloped), bound to
its session. Erasure empties a named comment's field (answers.forget_author), which destroys
the key with it: no older copy of the comment (write-ahead log, dead row version, backup)
opens without a key-encryption key. Comments stored before sealing began read as they are.

The key-encryption key is the service's PERSONAL_DATA_KEY, bound to the database's engine
(shared.data_keys), so these helpers need only the connection.
"""

from sqlalchemy import Connection, select, update

from services.feedback.store.tables import feedback_responses
from shared.data_keys import ring_of
from shared.sealing import is_enveloped, open_enveloped, rewrap_enveloped, seal_enveloped


def _context(session_id: str) -> str:
    return f"feedback_responses/{session_id}/comment"


def sealed(conn: Connection, answer: dict) -> dict:
    """An answer's columns, its comment sealed."""
    if answer.get("comment") is None:
        return answer
    return answer | {"comment": seal_enveloped(ring_of(conn), answer["comment"], _context(answer["session_id"]))}


def opened(conn: Connection, session_id: str, rows) -> list[dict]:
    """Rows of one session with a `comment` column, the comments opened."""
    return [dict(row) | {"comment": _open(conn, row["comment"], session_id)} for row in rows]


def _open(conn: Connection, comment: str | None, session_id: str) -> str | None:
    return open_enveloped(ring_of(conn), comment, _context(session_id)) if is_enveloped(comment) else comment


def rewrap(conn: Connection) -> int:
    """Rotation: every sealed comment's data key wrapped by the current key-encryption key."""
    ring, changed = ring_of(conn), 0
    query = select(feedback_responses.c.id, feedback_responses.c.session_id, feedback_responses.c.comment).where(
        feedback_responses.c.comment.like("e1.%")
    )
    for answer_id, session_id, comment in conn.execute(query).all():
        if is_enveloped(comment) and not ring.is_current(comment):
            rewrapped = rewrap_enveloped(ring, comment, _context(session_id))
            conn.execute(
                update(feedback_responses).where(feedback_responses.c.id == answer_id).values(comment=rewrapped)
            )
            changed += 1
    return changed
