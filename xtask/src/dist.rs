//! `cargo xtask dist`: the release server binary and the optimised app,
//! side by side in `target/dist/`, ready for a container image.

use std::path::PathBuf;

use crate::proc::{self, cargo};
use crate::{Project, step, tools, web};

pub struct Dist {
    pub binary: PathBuf,
    pub web_root: PathBuf,
}

pub fn run(project: &Project) -> anyhow::Result<Dist> {
    let web_tools = tools::web_tools(project)?;
    let built_web = web::build(project, &web_tools)?;
    step("building the release server");
    proc::run(cargo().current_dir(&project.root).args(["build", "--release", "--package", "registry-console"]))?;
    let dist = project.reports().join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    std::fs::create_dir_all(&dist)?;
    let binary = dist.join("registry-console");
    std::fs::copy(project.target.join("release/registry-console"), &binary)?;
    let web_root = dist.join("web");
    copy_tree(&built_web, &web_root)?;
    step(format!("release build in {}", dist.display()));
    Ok(Dist { binary, web_root })
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
