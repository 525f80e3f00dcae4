"""The questions the server asked (`call me`) and is waiting to hear answered: at most one per client.

Kept apart from the handler in `asking` so that the bookkeeping (when it was
asked, settled exactly once) has its own small tests.
"""

import time

from .validation import BadInput


class Question:
    """One question waiting for its answer: when it was asked, and whether it is settled (answered or timed out)."""

    def __init__(self, sid, event):
        """A question to `sid`, asked now; `event` is set when the answer comes."""
        self.sid = sid
        self.asked_at = time.monotonic()
        self.answered = event
        self.settled = False
        self.ack_id = None

    def settle(self):
        """Mark the question settled; True only the first time, so an answer and the timeout cannot both speak."""
        first, self.settled = not self.settled, True
        return first


class Questions:
    """The question each client of this process has not answered yet: at most one per client."""

    def __init__(self):
        """Nothing asked yet."""
        self._waiting = {}

    def ask(self, sid, event):
        """Record a new question to `sid` (`event` is set on its answer); refuse a second while one waits."""
        if sid in self._waiting:
            raise BadInput("the server is still waiting for your answer to its last question")
        question = self._waiting[sid] = Question(sid, event)
        return question

    def done(self, question):
        """Forget `question` (answered or timed out)."""
        if self._waiting.get(question.sid) is question:
            del self._waiting[question.sid]

    def __len__(self):
        """How many questions wait for an answer."""
        return len(self._waiting)
