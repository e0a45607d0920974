//! `run_sample` and `run_explore`: the PDB, the force field and the proposal (a flow or a fitted
//! internal-coordinate kernel) wired into [`run_chains`]. The CLI only parses flags and calls
//! these.

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use serde::Serialize;
use timewarp_ff::{ForceField, System};
use timewarp_flow::{import_official, load_checkpoint, Chart, FlowConfig, TimewarpFlow};
use timewarp_mol::{read_pdb, Topology};

use crate::config::{ChainSettings, ExploreConfig, SampleConfig};
use crate::equilibrate::equilibrate;
use crate::fitted::{FittedProposal, KernelFile};
use crate::flow_proposal::FlowProposal;
use crate::internal_flow::InternalFlowProposal;
use crate::kernel::ProposalKernel;
use crate::run::{run_chains, Command, RunInput, SampleSummary, CHECKPOINT_JSON};
use crate::sampler::AcceptanceRule;
use crate::SampleError;
use timewarp_rundir::{InputIdentity, RunControl, RunRecord, Session};

const CHECKPOINT_CONFIG: &str = "config.json";
const CHECKPOINT_WEIGHTS: &str = "model.safetensors";

/// Where the proposals of a chain come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ProposalSource {
    /// A Timewarp flow: checkpoint folder, training run folder or official weights (see
    /// [`resolve_model`]).
    Flow { model: PathBuf },
    /// A fitted internal-coordinate kernel (`timewarp fit`): its folder or its kernel file.
    Fitted { kernel: PathBuf },
}

impl ProposalSource {
    /// Proposals per iteration when the configuration does not say: flows are cheapest in
    /// large batches, while the fitted kernel accepts often enough that later proposals of a
    /// batch would mostly be discarded.
    pub fn default_batch(&self) -> usize {
        match self {
            ProposalSource::Flow { .. } => 100,
            ProposalSource::Fitted { .. } => 1,
        }
    }
}

/// Where a model's weights are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A checkpoint folder (`config.json` + `model.safetensors`).
    Checkpoint(PathBuf),
    /// Official PyTorch weights (`.safetensors`, `.pt`, `.pth`) with a `config.json` (our
    /// `FlowConfig`) in the same folder.
    Official { weights: PathBuf, config: PathBuf },
}

/// Finds the model behind `path`: a checkpoint folder; a training run folder (its `best/`, else
/// `last/` checkpoint, or their `.old` copies left by an interrupted save); or a weights file
/// with `config.json` beside it.
pub fn resolve_model(path: &Path) -> Result<ModelSource, SampleError> {
    let is_checkpoint =
        |d: &Path| d.join(CHECKPOINT_CONFIG).is_file() && d.join(CHECKPOINT_WEIGHTS).is_file();
    if path.is_dir() {
        for sub in ["", "best", "best.old", "last", "last.old"] {
            let d = if sub.is_empty() {
                path.to_path_buf()
            } else {
                path.join(sub)
            };
            if is_checkpoint(&d) {
                return Ok(ModelSource::Checkpoint(d));
            }
        }
        return Err(SampleError::Model(format!(
            "{}: no model checkpoint ({CHECKPOINT_CONFIG} + {CHECKPOINT_WEIGHTS}) in the folder or in its best/ or last/",
            path.display()
        )));
    }
    if path.is_file() {
        let config = path.with_file_name(CHECKPOINT_CONFIG);
        if !config.is_file() {
            return Err(SampleError::Model(format!(
                "{}: official weights need the model configuration as {} beside them",
                path.display(),
                config.display()
            )));
        }
        return Ok(ModelSource::Official {
            weights: path.to_path_buf(),
            config,
        });
    }
    Err(SampleError::Model(format!(
        "{}: no such file or folder",
        path.display()
    )))
}

/// The message of `e` with `path` in front, unless it already starts with it (or a file in it).
fn naming(path: &Path, e: impl std::fmt::Display) -> String {
    let (path, message) = (path.display().to_string(), e.to_string());
    if message.starts_with(&path) {
        message
    } else {
        format!("{path}: {message}")
    }
}

/// Loads the flow behind `path` (see [`resolve_model`]) onto `device`.
pub fn load_flow<B: Backend>(
    path: &Path,
    device: &B::Device,
) -> Result<TimewarpFlow<B>, SampleError> {
    match resolve_model(path)? {
        ModelSource::Checkpoint(dir) => {
            load_checkpoint::<B>(&dir, device).map_err(|e| SampleError::Model(naming(&dir, e)))
        }
        ModelSource::Official { weights, config } => {
            let cfg = FlowConfig::from_json_file(&config)
                .map_err(|e| SampleError::Model(naming(&config, e)))?;
            import_official::<B>(&weights, &cfg, device)
                .map_err(|e| SampleError::Model(naming(&weights, e)))
        }
    }
}

/// The molecule of a run: topology, starting positions, force field, trajectory name.
pub struct Molecule {
    pub name: String,
    pub topology: Topology,
    pub start: Vec<[f64; 3]>,
    pub system: System,
}

impl Molecule {
    /// What a chain starts from: the molecule's name, topology and start structure.
    pub fn input(&self) -> RunInput<'_> {
        RunInput {
            name: &self.name,
            topology: &self.topology,
            start: &self.start,
        }
    }
}

/// Reads `pdb`, takes model `settings.start_model` as the start, builds the force field.
pub fn load_molecule(settings: &ChainSettings, pdb: &Path) -> Result<Molecule, SampleError> {
    let file = read_pdb(pdb)?;
    let start = file
        .models
        .get(settings.start_model)
        .cloned()
        .ok_or_else(|| {
            SampleError::Config(format!(
                "{}: start_model {} but the file has {} model(s)",
                pdb.display(),
                settings.start_model,
                file.models.len()
            ))
        })?;
    let system = ForceField::amber14().create_system(&file.topology, &settings.forcefield)?;
    system.check_positions(&start)?;
    let start = equilibrate(
        &system,
        system.masses(),
        &start,
        settings.temperature_k,
        settings.equilibrate_ps,
        settings.seed,
    )?;
    let name = settings.name.clone().unwrap_or_else(|| {
        pdb.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sample".into())
    });
    Ok(Molecule {
        name,
        topology: file.topology,
        start,
        system,
    })
}

/// The proposal kernel of the flow at `model` for `topology`: the Cartesian Timewarp flow, or
/// for a model of the internal chart the flow with the fitted kernel it refines (`kernel.json`
/// in the checkpoint folder).
pub fn flow_kernel<B: Backend>(
    model: &Path,
    topology: &Topology,
    device: B::Device,
) -> Result<Box<dyn ProposalKernel>, SampleError> {
    let source = resolve_model(model)?;
    let flow = load_flow::<B>(model, &device)?;
    match flow.config().chart {
        Chart::Cartesian => Ok(Box::new(FlowProposal::new(flow, topology, device)?)),
        Chart::Internal => {
            let ModelSource::Checkpoint(dir) = source else {
                return Err(SampleError::Model(format!(
                    "{}: an internal-chart model must be a checkpoint folder with its kernel file",
                    model.display()
                )));
            };
            let kernel = KernelFile::load(&dir)?.for_molecule(topology, "the structure")?;
            Ok(Box::new(InternalFlowProposal::new(
                flow, kernel, topology, device,
            )?))
        }
    }
}

/// Opens the output folder (lock, inspection: see `timewarp_rundir`), loads the proposal of
/// `source` for the molecule of `pdb` and runs the chains; flows run on the backend of
/// `settings.device`: ndarray (f32) on the CPU, CUDA (f32) with the `cuda` feature. A folder that
/// holds the finished run with the same settings and inputs is not run again: its summary is
/// returned.
#[allow(clippy::too_many_arguments)]
fn run_command(
    command: Command,
    settings: &ChainSettings,
    rule: AcceptanceRule,
    config: serde_json::Value,
    source: &ProposalSource,
    pdb: &Path,
    out_dir: &Path,
    control: &RunControl<'_>,
) -> Result<SampleSummary, SampleError> {
    let (model, kernel) = match source {
        ProposalSource::Flow { model } => (model, None),
        ProposalSource::Fitted { kernel } => {
            // Check the kernel before the (costly) equilibration.
            let k = KernelFile::load(kernel)?;
            (kernel, Some(k))
        }
    };
    let name = match command {
        Command::Sample => "sample",
        Command::Explore => "explore",
    };
    // How far the chains go and how often they checkpoint may change when a run is continued:
    // the run's extent, not part of its fingerprint.
    let mut config = config;
    let mut extent = serde_json::Map::new();
    if let serde_json::Value::Object(m) = &mut config {
        for key in ["steps", "checkpoint_every", "checkpoint_seconds"] {
            if let Some(v) = m.remove(key) {
                extent.insert(key.into(), v);
            }
        }
    }
    let record_settings = serde_json::json!({ name: config, "proposal": to_json(source) });
    let inputs = vec![
        InputIdentity::file("pdb", pdb)?,
        InputIdentity::of("proposal", model)?,
    ];
    let checkpointed = out_dir.join(CHECKPOINT_JSON).is_file();
    let record = RunRecord::start(name, record_settings, inputs)
        .with_extent(serde_json::Value::Object(extent));
    let session = Session::open_with(out_dir, record, control, checkpointed)?;
    if session.is_complete() {
        return serde_json::from_value(session.record().summary.clone()).map_err(|e| {
            SampleError::Json {
                path: out_dir.join(timewarp_rundir::RUN_JSON),
                message: e.to_string(),
            }
        });
    }
    let molecule = load_molecule(settings, pdb)?;
    let what = pdb.display().to_string();
    let mut proposal: Box<dyn ProposalKernel> = match kernel {
        Some(k) => Box::new(FittedProposal::new(
            k.for_molecule(&molecule.topology, &what)?,
        )?),
        None => crate::on_backend!(
            settings.device,
            burn::backend::NdArray<f32>,
            burn::backend::Cuda<f32>,
            |B| flow_kernel::<B>(model, &molecule.topology, Default::default())?,
            else return Err(SampleError::Config(crate::ModelDevice::CUDA_NOT_BUILT.into()))
        ),
    };
    let summary = run_chains(
        command,
        settings,
        rule,
        molecule.input(),
        proposal.as_mut(),
        &molecule.system,
        &session,
        control,
    )?;
    if summary.completed {
        session.finish(&summary)?;
    }
    Ok(summary)
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// `timewarp sample`: exact MH-MCMC with proposals from `source` on the molecule of `pdb`,
/// written into `out_dir` (see [`run_command`] for the folder's life cycle).
pub fn run_sample(
    cfg: &SampleConfig,
    source: &ProposalSource,
    pdb: &Path,
    out_dir: &Path,
    control: &RunControl<'_>,
) -> Result<SampleSummary, SampleError> {
    cfg.validate()?;
    run_command(
        Command::Sample,
        &cfg.chain,
        cfg.rule(source.default_batch()),
        to_json(cfg),
        source,
        pdb,
        out_dir,
        control,
    )
}

/// `timewarp explore`: fast, biased exploration (energy threshold, no density ratio).
pub fn run_explore(
    cfg: &ExploreConfig,
    source: &ProposalSource,
    pdb: &Path,
    out_dir: &Path,
    control: &RunControl<'_>,
) -> Result<SampleSummary, SampleError> {
    cfg.validate()?;
    run_command(
        Command::Explore,
        &cfg.chain,
        cfg.rule(),
        to_json(cfg),
        source,
        pdb,
        out_dir,
        control,
    )
}
