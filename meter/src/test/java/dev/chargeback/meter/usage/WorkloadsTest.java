package dev.chargeback.meter.usage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WorkloadsTest {
  @ParameterizedTest
  @CsvSource({
    "coredns-7d764666f9-qdcxt, Deployment/coredns",
    "e2e-deployment-79967c5968-zjslc, Deployment/e2e-deployment",
    "e2e-statefulset-1, StatefulSet/e2e-statefulset",
    "backup-29012345-x2kqp, CronJob/backup",
    "kindnet-zkpn8, Workload/kindnet",
    "storage-provisioner, Pod/storage-provisioner",
    "etcd, Pod/etcd",
  })
  void guessesWorkloadsFromPodNames(String pod, String workload) {
    assertThat(Workloads.fromPodName(pod)).isEqualTo(workload);
  }

  @ParameterizedTest
  @CsvSource({
    "ReplicaSet, coredns-7d764666f9, coredns-7d764666f9-qdcxt, Deployment/coredns",
    "Job, backup-29012345, backup-29012345-x2kqp, CronJob/backup",
    "Job, migrate, migrate-x2kqp, Job/migrate",
    "DaemonSet, kindnet, kindnet-zkpn8, DaemonSet/kindnet",
    "Node, datagen-1-35, kube-apiserver-datagen-1-35, Pod/kube-apiserver-datagen-1-35",
    "<none>, <none>, lonely, Pod/lonely",
  })
  void namesWorkloadsFromOwners(String kind, String name, String pod, String workload) {
    assertThat(Workloads.fromOwner(kind, name, pod)).isEqualTo(workload);
  }
}
