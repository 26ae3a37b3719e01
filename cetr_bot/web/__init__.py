"""The bot process's one web server (aiohttp.web): the Telegram webhook, health and
metrics today, the web companion's pages later. One place for the middleware: request
ids, security headers, a limit on body size (see app.py)."""
