"""The web console for ops under ``/ops``: server-rendered HTML, a few lines of JavaScript
for job progress, login with an ops API key into a signed HttpOnly SameSite=Strict cookie,
CSRF tokens on every form."""

__all__: list[str] = []
