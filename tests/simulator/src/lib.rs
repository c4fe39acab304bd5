//! TEST ONLY: a stand-in for the OpenShift image registry operator.
