"""Integrity over time: lock the approved state of installed skills and agent configs, verify
it later, watch it live, quarantine and restore.

Modules: `manifest` (per-skill file manifest and digest), `lockfile` (the versioned lockfile),
`sources` (git / registry / plugin origin), `surfaces` (hashed MCP and settings entries),
`verify` (the diff), `store` (content-addressed copies, restore, quarantine), `signing`
(ssh-keygen signatures), `watch` (watchdog observer), `actions` (what the CLI commands do).
"""
