"""Code rules. Each function takes (rule, skill) and yields Matches; the registry is explicit."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from skillscan.checks import gates, hidden_unicode, packed, structure
from skillscan.checks import hidden_text, manifest
from skillscan.checks import mcp_config
from skillscan.checks import hygiene
from skillscan.checks import network_ip
from skillscan.checks import suppressions
from skillscan.checks import destructive
from skillscan.checks import privilege, supply_chain
from skillscan.checks import capability
from skillscan.checks import model_files
from skillscan.checks import agent_settings
from skillscan.checks import redirection
from skillscan.model import Match, Skill
from skillscan.rules.schema import Rule

CheckFunction = Callable[[Rule, Skill], Iterator[Match]]

CHECKS: dict[str, CheckFunction] = {
    "hidden_unicode.tag_characters": hidden_unicode.tag_characters,
    "hidden_unicode.bidi_controls": hidden_unicode.bidi_controls,
    "hidden_unicode.invisible_characters": hidden_unicode.invisible_characters,
    "hidden_unicode.split_words": hidden_unicode.split_words,
    "structure.parse_issues": structure.parse_issues,
    "structure.symlink_escape": structure.symlink_escape,
    "structure.binary_files": structure.binary_files,
    "network_ip.public_ip_urls": network_ip.public_ip_urls,
    "hidden_text.mixed_script_tokens": hidden_text.mixed_script_tokens,
    "hidden_text.terminal_escapes": hidden_text.terminal_escapes,
    "hidden_text.blank_line_gap": hidden_text.blank_line_gap,
    "hidden_text.instruction_after_gap": hidden_text.instruction_after_gap,
    "hidden_text.invisible_payload": hidden_text.invisible_payload,
    "manifest.name_problems": manifest.name_problems,
    "manifest.description_missing": manifest.description_missing,
    "manifest.keyword_stuffing": manifest.keyword_stuffing,
    "gates.gated_sink": gates.gated_sink,
    "packed.encoded_blobs": packed.encoded_blobs,
    "packed.binaries": packed.binaries,
    "packed.bytecode_without_source": packed.bytecode_without_source,
    "packed.archives": packed.archives,
    "hygiene.world_writable": hygiene.world_writable,
    "hygiene.group_writable": hygiene.group_writable,
    "hygiene.linked_into_temp": hygiene.linked_into_temp,
    "hygiene.partial_files": hygiene.partial_files,
    "hygiene.uncommitted_changes": hygiene.uncommitted_changes,
    "suppressions.inline_directives": suppressions.inline_directives,
    "mcp_config.shell_download": mcp_config.shell_download,
    "mcp_config.shell_wrapper": mcp_config.shell_wrapper,
    "mcp_config.unpinned_launcher": mcp_config.unpinned_launcher,
    "mcp_config.temp_path": mcp_config.temp_path,
    "mcp_config.insecure_remote": mcp_config.insecure_remote,
    "mcp_config.literal_bearer": mcp_config.literal_bearer,
    "mcp_config.auto_approve": mcp_config.auto_approve,
    "mcp_config.privileged_container": mcp_config.privileged_container,
    "destructive.unguarded_rm_variable": destructive.unguarded_rm_variable,
    "destructive.oversized_instructions": destructive.oversized_instructions,
    "destructive.recursive_subagents": destructive.recursive_subagents,
    "destructive.assembled_commands": destructive.assembled_commands,
    "destructive.home_wipe": destructive.home_wipe,
    "privilege.symlink_escape": privilege.symlink_escape,
    "supply_chain.typosquat_names": supply_chain.typosquat_names,
    "supply_chain.openclaw_unverified_downloads": supply_chain.openclaw_unverified_downloads,
    "supply_chain.install_hook_network_script": supply_chain.install_hook_network_script,
    "capability.unconfirmed": capability.unconfirmed,
    "model_files.pickle_files": model_files.pickle_files,
    "model_files.pickle_dangerous_imports": model_files.pickle_dangerous_imports,
    "agent_settings.hook_network": agent_settings.hook_network,
    "agent_settings.hook_inline_shell": agent_settings.hook_inline_shell,
    "agent_settings.approval_bypass": agent_settings.approval_bypass,
    "agent_settings.provider_endpoint": agent_settings.provider_endpoint,
    "agent_settings.writable_server_program": agent_settings.writable_server_program,
    "redirection.ai_endpoint_in_code": redirection.ai_endpoint_in_code,
}
