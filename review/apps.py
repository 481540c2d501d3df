from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        from review import changes, missing
        from review.queries import services as queries

        # A correction made with a reason answers the open queries on what it corrected.
        changes.subscribe(queries.answer_by_correction)
        # A value entered where a reason for its absence was: the reason goes.
        changes.subscribe(missing.settle_on_correction)
