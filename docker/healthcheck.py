"""Container health check: exit 0 when ``GET /healthz`` answers 200, 1 otherwise.

Usage: ``python docker/healthcheck.py [URL]`` (default ``http://127.0.0.1:8000/healthz``).

Standard library only, so the image needs no curl. Django answers 400 to a Host header that is not
in ``DJANGO_ALLOWED_HOSTS``, so the request names the first allowed host rather than 127.0.0.1.
"""

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def allowed_host() -> str:
    first = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")[0].strip()
    if not first or first == "*":
        return "localhost"
    return first.lstrip(".")  # ".example.org" allows example.org and its subdomains


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a health report: following it could reach another server."""

    def redirect_request(self, *args, **kwargs):
        return None


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else DEFAULT_URL
    request = urllib.request.Request(url, headers={"Host": allowed_host()})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=8) as response:
            status = response.status
            body = response.read(500)
    except urllib.error.HTTPError as exc:  # 503 names the services that are down
        status, body = exc.code, exc.read(500)
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}: {body.decode(errors='replace')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
