import os

for name in ("MY_PASSWORD", "API_TOKEN", "YML_API_KEY", "MY_PRIVATE_THING", "PLAIN_SETTING"):
    print(f"{name}: {'set' if os.environ.get(name) else 'unset'}", flush=True)
