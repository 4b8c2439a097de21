# Placeholder until the validator tooling lands: system packages only.
SYSTEM_PACKAGES := chromium poppler-utils fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
.PHONY: system-deps
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
