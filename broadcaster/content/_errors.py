class ContentError(ValueError):
    """A rule of the content workflow was broken; the message is Vietnamese, for the user.

    ``field`` names the form field at fault, so a page can show the message next to it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
