//! Project type detection from a repository's file list: languages, package managers, and the
//! setup commands a sandbox would run by default. Pure: the caller lists the files (e.g.
//! [`crate::Mirror::list_files`]) and reads the few small ones asked for.

use serde::{Deserialize, Serialize};

/// The repository's own setup script, run instead of the detected commands when present.
pub const SETUP_FILE: &str = ".anycode/setup.sh";

/// What a repository looks like.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProjectType {
    /// e.g. `rust`, `typescript`, `javascript`, `python`, `go`, `java`, `kotlin`, `ruby`.
    pub languages: Vec<String>,
    /// e.g. `cargo`, `npm`, `pnpm`, `yarn`, `bun`, `uv`, `poetry`, `pip`, `go`, `maven`.
    pub package_managers: Vec<String>,
    /// [`SETUP_FILE`] if the repository has one.
    pub setup_file: Option<String>,
    /// Default dependency installation, one shell command each, in order.
    pub setup_commands: Vec<String>,
}

impl ProjectType {
    fn language(&mut self, name: &str) {
        if !self.languages.iter().any(|l| l == name) {
            self.languages.push(name.to_owned());
        }
    }

    fn manager(&mut self, name: &str, command: Option<&str>) {
        if !self.package_managers.iter().any(|m| m == name) {
            self.package_managers.push(name.to_owned());
            if let Some(command) = command {
                self.setup_commands.push(command.to_owned());
            }
        }
    }
}

/// Detects the project type. `files` are repository paths (`/`-separated, relative to the
/// root); only root-level manifests decide package managers. `read` returns a small file's text
/// (it is asked for `package.json` and `pyproject.toml` only).
pub fn detect(files: &[String], read: &dyn Fn(&str) -> Option<String>) -> ProjectType {
    let root: std::collections::HashSet<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|f| !f.contains('/'))
        .collect();
    let has = |name: &str| root.contains(name);
    let has_ext = |exts: &[&str]| {
        files
            .iter()
            .any(|f| exts.iter().any(|e| f.ends_with(e)) && !f.starts_with("node_modules/"))
    };
    let mut p = ProjectType {
        setup_file: files
            .iter()
            .any(|f| f == SETUP_FILE)
            .then(|| SETUP_FILE.to_owned()),
        ..ProjectType::default()
    };

    if has("Cargo.toml") {
        p.language("rust");
        p.manager("cargo", Some("cargo fetch"));
    }

    if has("package.json") {
        if has("tsconfig.json") || has_ext(&[".ts", ".tsx", ".mts", ".cts"]) {
            p.language("typescript");
        }
        p.language("javascript");
        let declared = read("package.json")
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|json| {
                json.get("packageManager")
                    .and_then(|v| v.as_str())
                    .map(|s| s.split('@').next().unwrap_or("").to_owned())
            });
        let node = if has("pnpm-lock.yaml") {
            ("pnpm", "pnpm install --frozen-lockfile")
        } else if has("yarn.lock") {
            ("yarn", "yarn install --frozen-lockfile")
        } else if has("bun.lockb") || has("bun.lock") {
            ("bun", "bun install --frozen-lockfile")
        } else if has("package-lock.json") || has("npm-shrinkwrap.json") {
            ("npm", "npm ci")
        } else {
            match declared.as_deref() {
                Some("pnpm") => ("pnpm", "pnpm install"),
                Some("yarn") => ("yarn", "yarn install"),
                Some("bun") => ("bun", "bun install"),
                _ => ("npm", "npm install"),
            }
        };
        p.manager(node.0, Some(node.1));
    } else if has("deno.json") || has("deno.jsonc") {
        p.language("typescript");
        p.manager("deno", Some("deno install"));
    }

    let pyproject = has("pyproject.toml")
        .then(|| read("pyproject.toml"))
        .flatten();
    let python = has("pyproject.toml")
        || has("requirements.txt")
        || has("setup.py")
        || has("Pipfile")
        || has("uv.lock")
        || has("poetry.lock");
    if python {
        p.language("python");
        if has("uv.lock") {
            p.manager("uv", Some("uv sync"));
        } else if has("poetry.lock")
            || pyproject
                .as_deref()
                .is_some_and(|t| t.contains("[tool.poetry]"))
        {
            p.manager("poetry", Some("poetry install"));
        } else if has("Pipfile") {
            p.manager("pipenv", Some("pipenv install --dev"));
        } else if has("requirements.txt") {
            p.manager("pip", Some("pip install -r requirements.txt"));
        } else {
            p.manager("pip", Some("python3 -m pip install -e ."));
        }
    }

    if has("go.mod") {
        p.language("go");
        p.manager("go", Some("go mod download"));
    }

    if has("pom.xml") {
        p.language("java");
        p.manager("maven", Some("mvn -q dependency:go-offline"));
    }
    if has("build.gradle") || has("build.gradle.kts") || has("settings.gradle.kts") {
        if has("build.gradle.kts") || has_ext(&[".kt"]) {
            p.language("kotlin");
        }
        if has_ext(&[".java"]) || !has_ext(&[".kt"]) {
            p.language("java");
        }
        let command = if has("gradlew") {
            "./gradlew --no-daemon dependencies"
        } else {
            "gradle --no-daemon dependencies"
        };
        p.manager("gradle", Some(command));
    }

    if has("Gemfile") {
        p.language("ruby");
        p.manager("bundler", Some("bundle install"));
    }
    if has("composer.json") {
        p.language("php");
        p.manager("composer", Some("composer install"));
    }
    if has("mix.exs") {
        p.language("elixir");
        p.manager("mix", Some("mix deps.get"));
    }
    if has("Package.swift") {
        p.language("swift");
        p.manager("swiftpm", Some("swift package resolve"));
    }
    if root
        .iter()
        .any(|f| f.ends_with(".sln") || f.ends_with(".csproj") || f.ends_with(".fsproj"))
    {
        p.language(if has_ext(&[".fs"]) {
            "fsharp"
        } else {
            "csharp"
        });
        p.manager("dotnet", Some("dotnet restore"));
    }
    if has("CMakeLists.txt") {
        p.language(if has_ext(&[".cpp", ".cc", ".cxx", ".hpp"]) {
            "c++"
        } else {
            "c"
        });
        p.manager("cmake", None);
    } else if has("meson.build") {
        p.language("c");
        p.manager("meson", None);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        files: &[&str],
        reads: &[(&str, &str)],
        languages: &[&str],
        managers: &[&str],
        commands: &[&str],
    ) {
        let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        let reads: Vec<(String, String)> = reads
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let read = |path: &str| {
            reads
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, t)| t.clone())
        };
        let got = detect(&files, &read);
        assert_eq!(got.languages, languages, "{files:?}");
        assert_eq!(got.package_managers, managers, "{files:?}");
        assert_eq!(got.setup_commands, commands, "{files:?}");
    }

    #[test]
    fn table() {
        check(
            &["Cargo.toml", "Cargo.lock", "src/main.rs"],
            &[],
            &["rust"],
            &["cargo"],
            &["cargo fetch"],
        );
        check(
            &["package.json", "package-lock.json", "index.js"],
            &[],
            &["javascript"],
            &["npm"],
            &["npm ci"],
        );
        check(
            &[
                "package.json",
                "pnpm-lock.yaml",
                "tsconfig.json",
                "src/a.ts",
            ],
            &[],
            &["typescript", "javascript"],
            &["pnpm"],
            &["pnpm install --frozen-lockfile"],
        );
        check(
            &["package.json", "yarn.lock", "src/App.tsx"],
            &[],
            &["typescript", "javascript"],
            &["yarn"],
            &["yarn install --frozen-lockfile"],
        );
        check(
            &["package.json"],
            &[("package.json", r#"{"packageManager":"pnpm@9.1.0"}"#)],
            &["javascript"],
            &["pnpm"],
            &["pnpm install"],
        );
        check(
            &["package.json", "bun.lockb"],
            &[],
            &["javascript"],
            &["bun"],
            &["bun install --frozen-lockfile"],
        );
        check(
            &["package.json"],
            &[("package.json", "not json")],
            &["javascript"],
            &["npm"],
            &["npm install"],
        );
        check(
            &["requirements.txt", "app.py"],
            &[],
            &["python"],
            &["pip"],
            &["pip install -r requirements.txt"],
        );
        check(
            &["pyproject.toml", "uv.lock"],
            &[],
            &["python"],
            &["uv"],
            &["uv sync"],
        );
        check(
            &["pyproject.toml"],
            &[("pyproject.toml", "[tool.poetry]\nname = \"x\"\n")],
            &["python"],
            &["poetry"],
            &["poetry install"],
        );
        check(
            &["pyproject.toml"],
            &[],
            &["python"],
            &["pip"],
            &["python3 -m pip install -e ."],
        );
        check(
            &["go.mod", "go.sum", "main.go"],
            &[],
            &["go"],
            &["go"],
            &["go mod download"],
        );
        check(
            &["pom.xml", "src/main/java/A.java"],
            &[],
            &["java"],
            &["maven"],
            &["mvn -q dependency:go-offline"],
        );
        check(
            &["build.gradle.kts", "gradlew", "src/main/kotlin/A.kt"],
            &[],
            &["kotlin"],
            &["gradle"],
            &["./gradlew --no-daemon dependencies"],
        );
        check(
            &["Gemfile", "Gemfile.lock"],
            &[],
            &["ruby"],
            &["bundler"],
            &["bundle install"],
        );
        check(&["README.md", "docs/x.md"], &[], &[], &[], &[]);
        // Only root manifests count; a nested package.json is not the project's manager.
        check(
            &["web/package.json", "Cargo.toml"],
            &[],
            &["rust"],
            &["cargo"],
            &["cargo fetch"],
        );
        // Polyglot: order is stable.
        check(
            &[
                "Cargo.toml",
                "package.json",
                "package-lock.json",
                "requirements.txt",
            ],
            &[],
            &["rust", "javascript", "python"],
            &["cargo", "npm", "pip"],
            &["cargo fetch", "npm ci", "pip install -r requirements.txt"],
        );
    }

    #[test]
    fn setup_file() {
        let files = vec![".anycode/setup.sh".to_string(), "Cargo.toml".to_string()];
        let got = detect(&files, &|_| None);
        assert_eq!(got.setup_file.as_deref(), Some(".anycode/setup.sh"));
        let got = detect(&["x/.anycode/setup.sh".to_string()], &|_| None);
        assert_eq!(got.setup_file, None);
    }
}
