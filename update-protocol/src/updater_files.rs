//! Which file each existing desktop updater installs, and how its platform and processor names
//! map onto an app's architectures. Shared by the generator's static feeds
//! (`docs/feeds.md`) and the toolsetlink updater routes at the edge, so both offer the same
//! file.

use crate::index::Artifact;
use crate::manifest::{AppManifest, Architecture, ArtifactRole, Cpu, Platform};
use crate::names::ArchKey;

/// The platform of an architecture's builds: its own, else the app's.
pub fn arch_platform(app: &AppManifest, arch: &Architecture) -> Platform {
    arch.platform.unwrap_or(app.platform)
}

/// The processor of an architecture's builds: stated, else guessed from its key.
pub fn arch_cpu(arch: &Architecture) -> Option<Cpu> {
    arch.cpu.or_else(|| Cpu::from_key(arch.key.as_str()))
}

/// Whether builds for `built` run on a `wanted` processor: the same one, or a universal macOS
/// build on either Mac processor.
pub fn cpu_serves(built: Cpu, wanted: Cpu) -> bool {
    built == wanted || (built == Cpu::Universal && matches!(wanted, Cpu::X86_64 | Cpu::Aarch64))
}

/// The OS part of a Tauri platform key and of its `{{target}}`.
pub fn tauri_os(platform: Platform) -> Option<&'static str> {
    match platform {
        Platform::Macos => Some("darwin"),
        Platform::Windows => Some("windows"),
        Platform::Linux => Some("linux"),
        _ => None,
    }
}

/// The file the Tauri updater installs on `arch` of a release: the primary artifact when it is
/// a signed Tauri bundle, else the first signed bundle among the attachments, in release
/// order. It answers the architecture's plain `os-arch` key in `latest.json` and the
/// toolsetlink Tauri route. Unsigned files never qualify: the Tauri updater refuses them.
pub fn tauri_file<'a>(artifacts: &'a [Artifact], arch: &ArchKey) -> Option<&'a Artifact> {
    let signed_bundle = |a: &&Artifact| {
        &a.arch == arch
            && a.bundle.is_some()
            && a.signature.as_deref().is_some_and(|s| !s.is_empty())
    };
    artifacts
        .iter()
        .filter(|a| a.role == ArtifactRole::Primary)
        .find(signed_bundle)
        .or_else(|| {
            artifacts
                .iter()
                .filter(|a| a.role != ArtifactRole::Primary)
                .find(signed_bundle)
        })
}

/// The file extensions electron-updater installs on `platform`, in its preference: the NSIS
/// installer on Windows, the zip (Squirrel.Mac; the dmg is listed beside it) on macOS,
/// AppImage then deb, rpm and pacman packages on Linux.
pub fn electron_extensions(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::Windows => &[".exe"],
        Platform::Macos => &[".zip", ".dmg"],
        Platform::Linux => &[".appimage", ".deb", ".rpm", ".pacman"],
        _ => &[],
    }
}

/// Whether electron-updater installs a file of this name on `platform`.
pub fn electron_fits(platform: Platform, name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    electron_extensions(platform).iter().any(|e| n.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Bundle;

    fn artifact(arch: &str, role: ArtifactRole, name: &str, signed: bool) -> Artifact {
        Artifact {
            id: name.to_owned(),
            arch: ArchKey::new(arch).expect("arch"),
            role,
            name: crate::names::FileName::new(name).expect("name"),
            size: 1,
            sha256: crate::digest::Sha256Digest::from_bytes([0; 32]),
            md5: None,
            url: format!("/artifacts/{name}"),
            upgrade: None,
            sha512: None,
            bundle: Bundle::from_file_name(name),
            signature: signed.then(|| "c2ln".to_owned()),
        }
    }

    #[test]
    fn tauri_file_prefers_a_signed_primary_bundle_then_attachments() {
        use ArtifactRole::{Attachment, Primary};
        let arm = ArchKey::new("mac-arm64").expect("arch");
        // The primary zip is no Tauri bundle: the signed tarball attachment answers.
        let files = [
            artifact("mac-arm64", Primary, "e-1.0.0-arm64-mac.zip", true),
            artifact("mac-arm64", Attachment, "E_1.0.0_aarch64.app.tar.gz", true),
        ];
        assert_eq!(
            tauri_file(&files, &arm).map(|a| a.id.as_str()),
            Some("E_1.0.0_aarch64.app.tar.gz")
        );
        // A signed primary bundle wins over an attachment listed before it.
        let files = [
            artifact("mac-arm64", Attachment, "b.app.tar.gz", true),
            artifact("mac-arm64", Primary, "a.app.tar.gz", true),
        ];
        assert_eq!(
            tauri_file(&files, &arm).map(|a| a.id.as_str()),
            Some("a.app.tar.gz")
        );
        // Unsigned bundles and other architectures never qualify.
        let files = [
            artifact("mac-arm64", Primary, "a.app.tar.gz", false),
            artifact("mac-x64", Primary, "x.app.tar.gz", true),
        ];
        assert_eq!(tauri_file(&files, &arm), None);
    }

    #[test]
    fn electron_files_per_platform() {
        for (platform, name, ok) in [
            (Platform::Windows, "Editor Setup 1.0.0.exe", true),
            (Platform::Windows, "editor.msi", false),
            (Platform::Macos, "editor-1.0.0-arm64-mac.zip", true),
            (Platform::Macos, "editor.dmg", true),
            (Platform::Macos, "editor.pkg", false),
            (Platform::Linux, "editor-1.0.0.AppImage", true),
            (Platform::Linux, "editor_1.0.0_amd64.deb", true),
            (Platform::Linux, "editor.tar.gz", false),
            (Platform::Android, "editor.apk", false),
        ] {
            assert_eq!(electron_fits(platform, name), ok, "{name}");
        }
    }

    #[test]
    fn universal_builds_serve_both_mac_processors() {
        assert!(cpu_serves(Cpu::Universal, Cpu::Aarch64));
        assert!(cpu_serves(Cpu::Universal, Cpu::X86_64));
        assert!(!cpu_serves(Cpu::Universal, Cpu::I686));
        assert!(cpu_serves(Cpu::Aarch64, Cpu::Aarch64));
        assert!(!cpu_serves(Cpu::X86_64, Cpu::Aarch64));
    }
}
