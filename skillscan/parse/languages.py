"""Which kind of artifact a file is, and in which language, from its name and first line."""

from __future__ import annotations

from pathlib import PurePosixPath

from skillscan.model import ArtifactKind

_SCRIPT_EXTENSIONS = {
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell", ".fish": "shell",
    ".command": "shell",
    ".py": "python", ".pyw": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".ps1": "powershell", ".psm1": "powershell", ".psd1": "powershell",
    ".bat": "batch", ".cmd": "batch",
    ".rb": "ruby", ".pl": "perl", ".pm": "perl", ".php": "php", ".lua": "lua",
    ".go": "go", ".rs": "rust", ".java": "java", ".kt": "kotlin", ".swift": "swift",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cs": "csharp",
    ".applescript": "applescript", ".scpt": "applescript", ".vbs": "vbscript",
    ".ipynb": "notebook",
}
_CONFIG_EXTENSIONS = {
    ".json": "json", ".jsonc": "json", ".json5": "json", ".yaml": "yaml", ".yml": "yaml",
    ".toml": "toml", ".ini": "ini", ".cfg": "ini", ".conf": "ini", ".env": "dotenv",
    ".plist": "xml", ".xml": "xml", ".service": "ini", ".desktop": "ini", ".mdc": "markdown",
}
_CONFIG_NAMES = {
    ".env": "dotenv", ".npmrc": "ini", ".yarnrc": "ini", ".pypirc": "ini", "pip.conf": "ini",
    ".gitconfig": "ini", "dockerfile": "dockerfile", "makefile": "makefile", ".mcp.json": "json",
    "crontab": "crontab", ".envrc": "shell", ".bashrc": "shell", ".zshrc": "shell",
    ".profile": "shell", ".bash_profile": "shell",
}
_DOCUMENT_EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".mdx": "markdown",
                        ".txt": "text", ".rst": "text", ".html": "html", ".htm": "html",
                        ".svg": "svg", ".csv": "text", ".jsonl": "text"}
_SHEBANG_LANGUAGES = (
    ("python", "python"), ("node", "javascript"), ("deno", "typescript"), ("bun", "javascript"),
    ("pwsh", "powershell"), ("powershell", "powershell"), ("bash", "shell"), ("zsh", "shell"),
    ("/sh", "shell"), (" sh", "shell"), ("ruby", "ruby"), ("perl", "perl"), ("osascript", "applescript"),
)
# Code-fence info strings → language of the virtual script.
FENCE_LANGUAGES = {
    "sh": "shell", "bash": "shell", "shell": "shell", "zsh": "shell", "console": "shell",
    "shell-session": "shell", "shellsession": "shell", "terminal": "shell", "fish": "shell",
    "py": "python", "python": "python", "python3": "python", "py3": "python", "ipython": "python",
    "js": "javascript", "javascript": "javascript", "node": "javascript", "jsx": "javascript",
    "mjs": "javascript", "ts": "typescript", "typescript": "typescript", "tsx": "typescript",
    "ps1": "powershell", "powershell": "powershell", "pwsh": "powershell", "ps": "powershell",
    "bat": "batch", "cmd": "batch", "batch": "batch",
    "json": "json", "jsonc": "json", "yaml": "yaml", "yml": "yaml", "toml": "toml", "ini": "ini",
    "dotenv": "dotenv", "env": "dotenv", "applescript": "applescript", "ruby": "ruby", "perl": "perl",
}
SCRIPT_LANGUAGES = frozenset(_SCRIPT_EXTENSIONS.values()) | {"dockerfile", "makefile", "crontab"}


def classify(path: PurePosixPath, text: str | None) -> tuple[ArtifactKind, str]:
    """(kind, language) of a real file."""
    if text is None:
        return ArtifactKind.BINARY, "binary"
    name = path.name.lower()
    if name == "skill.md":
        return ArtifactKind.SKILL_MD, "markdown"
    if name in _CONFIG_NAMES:
        language = _CONFIG_NAMES[name]
        kind = ArtifactKind.SCRIPT if language in SCRIPT_LANGUAGES or language == "shell" else ArtifactKind.CONFIG
        return kind, language
    if name.startswith(".env"):
        return ArtifactKind.CONFIG, "dotenv"
    suffix = path.suffix.lower()
    if suffix in _SCRIPT_EXTENSIONS:
        return ArtifactKind.SCRIPT, _SCRIPT_EXTENSIONS[suffix]
    if suffix in _CONFIG_EXTENSIONS:
        return ArtifactKind.CONFIG, _CONFIG_EXTENSIONS[suffix]
    if suffix in _DOCUMENT_EXTENSIONS:
        return ArtifactKind.DOCUMENT, _DOCUMENT_EXTENSIONS[suffix]
    shebang = shebang_language(text)
    if shebang:
        return ArtifactKind.SCRIPT, shebang
    return ArtifactKind.DOCUMENT, "text"


def shebang_language(text: str) -> str | None:
    if not text.startswith("#!"):
        return None
    first = text.split("\n", 1)[0]
    for needle, language in _SHEBANG_LANGUAGES:
        if needle in first:
            return language
    return "shell"


def fence_language(info: str, body: str) -> str | None:
    """Language of a code fence, guessing for untagged fences (agents run those too)."""
    tag = info.strip().split(maxsplit=1)[0].lower().strip("{}.") if info.strip() else ""
    if tag:
        return FENCE_LANGUAGES.get(tag)
    return guess_untagged(body)


def guess_untagged(body: str) -> str | None:
    stripped = body.lstrip()
    if not stripped:
        return None
    shebang = shebang_language(stripped)
    if shebang:
        return shebang
    first = stripped.split("\n", 1)[0].strip()
    if first.startswith(("$ ", "# ", "sudo ", "> ")) or first.split(" ", 1)[0] in _SHELL_STARTERS:
        return "shell"
    if first.startswith(("import ", "from ", "def ", "print(")):
        return "python"
    if first.startswith(("const ", "let ", "function ", "await ", "require(")):
        return "javascript"
    if first.split(" ", 1)[0].lower() in _POWERSHELL_STARTERS:
        return "powershell"
    return None


_SHELL_STARTERS = frozenset(
    "curl wget bash sh zsh chmod chown cd ls cat echo export git npm npx pnpm yarn pip pip3 pipx uv "
    "uvx python python3 node deno bun brew apt apt-get yum dnf rm mv cp mkdir tar unzip ssh scp "
    "rsync nc ncat docker kubectl make source eval exec nohup crontab xattr open osascript "
    "powershell pwsh base64 openssl env printenv set".split()
)
_POWERSHELL_STARTERS = frozenset(
    "iex invoke-expression invoke-webrequest iwr irm invoke-restmethod set-executionpolicy "
    "new-object start-process get-content add-mppreference".split()
)
