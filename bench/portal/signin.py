#!/usr/bin/env python3
"""Signs in to the portal as a browser would (OpenID Connect code flow with PKCE through CityOS's own provider, the
login form with its CSRF field) and prints the Cookie header of the portal session.
Usage: signin.py BASE USERNAME PASSWORD"""
import html.parser, http.cookiejar, sys, urllib.parse, urllib.request

base, username, password = sys.argv[1:4]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.action = None; self.fields = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None and a.get("action", "").endswith("/login"): self.action = a["action"]
        if tag == "input" and a.get("type") == "hidden" and a.get("name"): self.fields[a["name"]] = a.get("value", "")

with opener.open(base + "/portal/signin?return=/portal/") as response:
    form = Form(); form.feed(response.read().decode())
if form.action is None: raise SystemExit("no sign-in form")
form.fields.update(username=username, password=password)
with opener.open(urllib.parse.urljoin(base, form.action), urllib.parse.urlencode(form.fields).encode()) as response:
    if not urllib.parse.urlparse(response.url).path.startswith("/portal/"): raise SystemExit(f"sign-in ended at {response.url}")
cookies = [f"{c.name}={c.value}" for c in jar if c.path.startswith("/portal")]
if not any(c.startswith("cityos_portal=") for c in cookies): raise SystemExit("no portal session cookie")
print("; ".join(cookies))
