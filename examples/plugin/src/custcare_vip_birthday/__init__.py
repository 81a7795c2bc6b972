"""An example custcare plugin: is this customer's birthday month coming up?"""

from datetime import datetime
from typing import ClassVar

from custcare import BaseScorer, CustomerHistory, Reason, ScorerConfig, ScoreResult
from custcare.scoring import Upstream


class BirthdayConfig(ScorerConfig):
    months_ahead: int = 1  # how far ahead counts as "coming up"


class BirthdayResult(ScoreResult):
    birthday_soon: bool


class BirthdayScorer(BaseScorer[BirthdayConfig, BirthdayResult]):
    name: ClassVar[str] = "example.birthday"
    description: ClassVar[str] = "Flags customers whose birthday month is coming up."
    config_model = BirthdayConfig

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> BirthdayResult:
        month = history.customer.attributes.get("birth_month")
        ahead = (int(month) - as_of.month) % 12 if isinstance(month, int) else None
        soon = ahead is not None and ahead <= self.config.months_ahead
        text = "no birth month on file" if ahead is None else f"birthday in {ahead} month(s)"
        reason = Reason(code="example.birthday", message=f"Customer has {text}.")
        return BirthdayResult(
            scorer=self.name,
            customer_id=history.customer_id,
            as_of=as_of,
            birthday_soon=soon,
            reasons=(reason,),
        )
