//! SCORM 2004 sequencing for a package: the manifest's organization as the sequencing
//! engine's activity tree (`lara-sequencing`).

use lara_package::scorm::{Item, Organization, ScormManifest};
use lara_sequencing::definition::CompletionThreshold;
use lara_sequencing::{ActivitySpec, DefinitionError, Tree, TreeError, parse_sequencing};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SequencingSetupError {
    #[error("the manifest has no organization to deliver")]
    NoOrganization,
    #[error("item {item:?}: {error}")]
    Definition {
        item: String,
        error: DefinitionError,
    },
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// The activity tree of the manifest's default organization.
pub fn activity_tree(manifest: &ScormManifest) -> Result<Tree, SequencingSetupError> {
    let org = manifest
        .organization()
        .ok_or(SequencingSetupError::NoOrganization)?;
    Ok(Tree::new(organization_spec(
        org,
        manifest.sequencing_collection.as_deref(),
    )?)?)
}

fn definition(
    identifier: &str,
    sequencing: Option<&str>,
    collection: Option<&str>,
) -> Result<lara_sequencing::definition::SequencingDefinition, SequencingSetupError> {
    match sequencing {
        Some(xml) => {
            parse_sequencing(xml, collection).map_err(|error| SequencingSetupError::Definition {
                item: identifier.to_owned(),
                error,
            })
        }
        None => Ok(lara_sequencing::default_sequencing()),
    }
}

fn organization_spec(
    org: &Organization,
    collection: Option<&str>,
) -> Result<ActivitySpec, SequencingSetupError> {
    let children = org
        .items
        .iter()
        .map(|i| item_spec(i, collection))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ActivitySpec {
        identifier: org.identifier.clone(),
        title: org.title.clone(),
        visible: true,
        launchable: false,
        sequencing: definition(&org.identifier, org.sequencing.as_deref(), collection)?,
        completion_threshold: CompletionThreshold::default(),
        children,
    })
}

fn item_spec(item: &Item, collection: Option<&str>) -> Result<ActivitySpec, SequencingSetupError> {
    let children = item
        .children
        .iter()
        .map(|i| item_spec(i, collection))
        .collect::<Result<Vec<_>, _>>()?;
    let completion_threshold = item
        .completion_threshold
        .map(|t| CompletionThreshold {
            completed_by_measure: t.completed_by_measure,
            min_progress_measure: t.min_progress_measure,
            progress_weight: t.progress_weight,
        })
        .unwrap_or_default();
    Ok(ActivitySpec {
        identifier: item.identifier.clone(),
        title: item.title.clone(),
        visible: item.visible,
        launchable: item.resource.is_some(),
        sequencing: definition(&item.identifier, item.sequencing.as_deref(), collection)?,
        completion_threshold,
        children,
    })
}
