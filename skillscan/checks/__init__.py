"""Code rules. Each function takes (rule, skill) and yields Matches; the registry is explicit.

A rule names its check as `module.function` of this package; modules are imported when a rule
that needs them runs, so start-up (and a scan answered from the cache) does not pay for all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

from skillscan.model import Match, Skill
from skillscan.rules.schema import Rule

CheckFunction = Callable[[Rule, Skill], Iterator[Match]]

CHECKS: frozenset[str] = frozenset({
    "hidden_unicode.tag_characters",
    "hidden_unicode.bidi_controls",
    "hidden_unicode.invisible_characters",
    "hidden_unicode.split_words",
    "structure.parse_issues",
    "structure.symlink_escape",
    "structure.binary_files",
    "network_ip.public_ip_urls",
    "hidden_text.mixed_script_tokens",
    "hidden_text.terminal_escapes",
    "hidden_text.blank_line_gap",
    "hidden_text.instruction_after_gap",
    "hidden_text.invisible_payload",
    "manifest.name_problems",
    "manifest.description_missing",
    "manifest.keyword_stuffing",
    "gates.gated_sink",
    "packed.encoded_blobs",
    "packed.binaries",
    "packed.bytecode_without_source",
    "packed.archives",
    "hygiene.world_writable",
    "hygiene.group_writable",
    "hygiene.linked_into_temp",
    "hygiene.partial_files",
    "hygiene.uncommitted_changes",
    "suppressions.inline_directives",
    "mcp_config.shell_download",
    "mcp_config.shell_wrapper",
    "mcp_config.unpinned_launcher",
    "mcp_config.temp_path",
    "mcp_config.insecure_remote",
    "mcp_config.literal_bearer",
    "mcp_config.auto_approve",
    "mcp_config.privileged_container",
    "destructive.unguarded_rm_variable",
    "destructive.oversized_instructions",
    "destructive.recursive_subagents",
    "destructive.assembled_commands",
    "destructive.home_wipe",
    "privilege.symlink_escape",
    "supply_chain.typosquat_names",
    "supply_chain.openclaw_unverified_downloads",
    "supply_chain.install_hook_network_script",
    "capability.unconfirmed",
    "model_files.pickle_files",
    "model_files.pickle_dangerous_imports",
    "agent_settings.hook_network",
    "agent_settings.hook_inline_shell",
    "agent_settings.approval_bypass",
    "agent_settings.provider_endpoint",
    "agent_settings.writable_server_program",
    "redirection.ai_endpoint_in_code",
})


def check_function(name: str) -> CheckFunction:
    """The function behind registered check `name` ("module.function")."""
    if name not in CHECKS:
        raise KeyError(name)
    module, function = name.split(".")
    return getattr(importlib.import_module(f"skillscan.checks.{module}"), function)  # type: ignore[no-any-return]


# Checks whose answer depends on file-system state other than the skill's content (modes, owners,
# where a link points, a git index): their results are never cached.
READS_FILESYSTEM = frozenset({
    "hygiene.world_writable", "hygiene.group_writable", "hygiene.linked_into_temp", "hygiene.uncommitted_changes",
    "agent_settings.writable_server_program",
})


# Of those, the ones that read the skill's text as well (which programs its configs name).
_READS_TEXT_TOO = frozenset({"agent_settings.writable_server_program"})


def reads_filesystem(rule: Rule) -> bool:
    return rule.engine == "check" and rule.match.get("check") in READS_FILESYSTEM


def reruns_on_cached_skills(rule: Rule) -> bool:
    """A check of file-system state that needs no text: it runs again on every skill the skill
    cache answers (the text-reading ones have nothing to read there: see below)."""
    return reads_filesystem(rule) and rule.match.get("check") not in _READS_TEXT_TOO


def reads_text_and_filesystem(skill: Skill) -> bool:
    """Whether a check of file-system state also reads this skill's text (its configs name MCP
    server programs on disk): it must see the text on every scan, so the skill is never answered
    by the skill cache, whose skills carry no text."""
    from skillscan.checks.agent_settings import names_server_programs

    return names_server_programs(skill)
