"""What can go wrong talking to Microsoft Graph, classified for the caller's decision.

- `GraphConsentMissing`: the customer's admin has not granted the app the permission it needs
  (403 Authorization_RequestDenied / insufficient privileges, or a token error such as
  AADSTS65001 or AADSTS7000229). Final until an admin consents: tell the PM once.
- `GraphForbidden`: any other 403 (for example an app permission policy blocks the app).
- `GraphNotFound` (and `AppNotInCatalog`): 404. Final.
- `GraphThrottled`: still 429 after the retries (or a Retry-After longer than we wait).
- `GraphUnavailable` (and `GraphCredentialsInvalid`): 5xx after the retries, network errors,
  token endpoint failures. Try again later.

Messages carry Graph's error code and our own words, never a token or a secret.
"""

from __future__ import annotations


class GraphError(Exception):
    """Base class. `status` is the HTTP status (0 when no response), `code` Graph's or
    Entra ID's error code when known."""

    retryable = False

    def __init__(self, message: str, *, status: int = 0, code: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = detail  # Graph's own error message, when it gave one


class GraphForbidden(GraphError):
    """403 that is not (recognisably) a missing permission."""


class GraphConsentMissing(GraphForbidden):
    """The app lacks admin consent (or is not provisioned) in the customer's tenant."""


class GraphNotFound(GraphError):
    """404: the user, installation or chat does not exist (or not yet)."""


class AppNotInCatalog(GraphNotFound):
    """The Teams app is not in the tenant's app catalog (or TEAMS_APP_ID is not set)."""


class GraphConflict(GraphError):
    """409 (for an installation: the app is already installed for the user)."""


class GraphThrottled(GraphError):
    retryable = True

    def __init__(self, message: str, *, status: int = 429, code: str = "", detail: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(message, status=status, code=code, detail=detail)
        self.retry_after = retry_after


class GraphUnavailable(GraphError):
    retryable = True


class GraphCredentialsInvalid(GraphUnavailable):
    """Our own client secret or certificate was refused (expired, wrong): an operator must act."""

    retryable = False
