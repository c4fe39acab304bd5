//! The kinds the console reads and writes, and their REST paths.

use model::plan::ObjectRef;

/// A kind the console knows: enough to build its REST paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

macro_rules! resources {
    ($($name:ident = $api_version:literal, $kind:literal, $plural:literal, $namespaced:literal;)*) => {
        $(pub const $name: Resource = Resource { api_version: $api_version, kind: $kind, plural: $plural, namespaced: $namespaced };)*
        /// Every kind above.
        pub const ALL: &[Resource] = &[$($name),*];
    };
}

resources! {
    CONFIG = "imageregistry.operator.openshift.io/v1", "Config", "configs", false;
    IMAGE_PRUNER = "imageregistry.operator.openshift.io/v1", "ImagePruner", "imagepruners", false;
    IMAGE_CONFIG = "config.openshift.io/v1", "Image", "images", false;
    CLUSTER_OPERATOR = "config.openshift.io/v1", "ClusterOperator", "clusteroperators", false;
    INFRASTRUCTURE = "config.openshift.io/v1", "Infrastructure", "infrastructures", false;
    INGRESS_CONFIG = "config.openshift.io/v1", "Ingress", "ingresses", false;
    IDMS = "config.openshift.io/v1", "ImageDigestMirrorSet", "imagedigestmirrorsets", false;
    ITMS = "config.openshift.io/v1", "ImageTagMirrorSet", "imagetagmirrorsets", false;
    SECRET = "v1", "Secret", "secrets", true;
    CONFIG_MAP = "v1", "ConfigMap", "configmaps", true;
    PVC = "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true;
    PV = "v1", "PersistentVolume", "persistentvolumes", false;
    SERVICE_ACCOUNT = "v1", "ServiceAccount", "serviceaccounts", true;
    POD = "v1", "Pod", "pods", true;
    EVENT = "v1", "Event", "events", true;
    NAMESPACE = "v1", "Namespace", "namespaces", false;
    STORAGE_CLASS = "storage.k8s.io/v1", "StorageClass", "storageclasses", false;
    DEPLOYMENT = "apps/v1", "Deployment", "deployments", true;
    DAEMON_SET = "apps/v1", "DaemonSet", "daemonsets", true;
    CRON_JOB = "batch/v1", "CronJob", "cronjobs", true;
    JOB = "batch/v1", "Job", "jobs", true;
    ROUTE = "route.openshift.io/v1", "Route", "routes", true;
    ROLE_BINDING = "rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", true;
    CLUSTER_ROLE = "rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false;
    CLUSTER_ROLE_BINDING = "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false;
    IMAGE_STREAM = "image.openshift.io/v1", "ImageStream", "imagestreams", true;
    IMAGE_STREAM_TAG = "image.openshift.io/v1", "ImageStreamTag", "imagestreamtags", true;
    IMAGE = "image.openshift.io/v1", "Image", "images", false;
}

/// The resource of an object reference, if the console knows its kind.
pub fn resource_for(api_version: &str, kind: &str) -> Option<Resource> {
    ALL.iter().copied().find(|resource| resource.api_version == api_version && resource.kind == kind)
}

impl Resource {
    fn prefix(&self) -> String {
        if self.api_version.contains('/') {
            format!("/apis/{}", self.api_version)
        } else {
            format!("/api/{}", self.api_version)
        }
    }

    /// The collection path: `…/namespaces/NS/plural` or `…/plural`.
    pub fn collection(&self, namespace: &str) -> String {
        if self.namespaced {
            format!("{}/namespaces/{}/{}", self.prefix(), namespace, self.plural)
        } else {
            format!("{}/{}", self.prefix(), self.plural)
        }
    }

    /// The object path.
    pub fn path(&self, namespace: &str, name: &str) -> String {
        format!("{}/{}", self.collection(namespace), name)
    }

    pub fn object_ref(&self, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.to_owned(),
            kind: self.kind.to_owned(),
            namespace: if self.namespaced { namespace.to_owned() } else { String::new() },
            name: name.to_owned(),
        }
    }

    /// The resource name `oc` accepts, e.g. `configs.imageregistry.operator.openshift.io`.
    pub fn oc_name(&self) -> String {
        match self.api_version.split_once('/') {
            Some((group, _)) if !matches!(group, "apps" | "batch") => format!("{}.{}", self.plural, group),
            _ => self.plural.trim_end_matches('s').to_owned(),
        }
    }
}

/// The REST path of an object reference.
pub fn path_of(target: &ObjectRef) -> Option<String> {
    resource_for(&target.api_version, &target.kind).map(|resource| resource.path(&target.namespace, &target.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_api_conventions() {
        assert_eq!(CONFIG.path("", "cluster"), "/apis/imageregistry.operator.openshift.io/v1/configs/cluster");
        assert_eq!(SECRET.collection("openshift-config"), "/api/v1/namespaces/openshift-config/secrets");
        assert_eq!(PV.path("ignored", "nfs01"), "/api/v1/persistentvolumes/nfs01");
        assert_eq!(CONFIG.oc_name(), "configs.imageregistry.operator.openshift.io");
        assert_eq!(SECRET.oc_name(), "secret");
        assert_eq!(resource_for("route.openshift.io/v1", "Route"), Some(ROUTE));
    }
}
