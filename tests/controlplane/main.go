// Command rc-controlplane is a multi-call binary holding the real Kubernetes
// control-plane components that Registry Console's tests run against:
// embedded etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// kubectl and the kwok node agent, plus the `crds` and `up` helpers.
//
// One binary (instead of five) keeps the cached build small and lets `up`
// re-execute itself for the components that must run in their own process.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	_ "time/tzdata" // CronJob time zones, as in the upstream mains

	"github.com/spf13/pflag"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json, as upstream
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as upstream
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kcmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	schedulerapp "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kwokconfig "sigs.k8s.io/kwok/pkg/config"
	kwokcmd "sigs.k8s.io/kwok/pkg/kwok/cmd"
	kwoklog "sigs.k8s.io/kwok/pkg/log"
	kwoksignals "sigs.k8s.io/kwok/pkg/utils/signals"

	// Linked only so that `go build` puts the openshift/api module (and its
	// CRD YAML) into the module cache and records its version in the binary's
	// build info; this package holds nothing but constants. See crds.go.
	_ "github.com/openshift/api/annotations"
)

// subcommands maps a subcommand name to its entry point. Each entry point
// sees os.Args as if it were its own binary (os.Args[0] = name).
var subcommands = map[string]func() int{
	"etcd":                    runEtcd,
	"kube-apiserver":          func() int { return cli.Run(apiserverapp.NewAPIServerCommand()) },
	"kube-controller-manager": func() int { return cli.Run(kcmapp.NewControllerManagerCommand()) },
	"kube-scheduler":          func() int { return cli.Run(schedulerapp.NewSchedulerCommand()) },
	"kubectl":                 runKubectl,
	"kwok":                    runKwok,
	"crds":                    runCRDs,
	"up":                      runUp,
	"seed":                    runSeed,
	"version":                 runVersion,
}

func main() {
	// Busybox style: a symlink named kubectl (etc.) runs that subcommand.
	name := filepath.Base(os.Args[0])
	if _, ok := subcommands[name]; !ok {
		if len(os.Args) < 2 {
			usage()
			os.Exit(2)
		}
		name = os.Args[1]
		os.Args = append([]string{name}, os.Args[2:]...)
	}
	run, ok := subcommands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "rc-controlplane: unknown subcommand %q\n", name)
		usage()
		os.Exit(2)
	}
	os.Exit(run())
}

func usage() {
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: rc-controlplane <%s> [flags]\n", strings.Join(names, "|"))
}

// runKubectl mirrors k8s.io/kubernetes/cmd/kubectl/kubectl.go.
func runKubectl() int {
	logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args)) // nolint:errcheck
	command := kubectlcmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		kubectlutil.CheckErr(err) // prints and exits non-zero
	}
	return 0
}

// runKwok mirrors sigs.k8s.io/kwok/cmd/kwok/main.go.
func runKwok() int {
	// cobra merges pflag.CommandLine into every root command, and
	// Kubernetes' verflag has put a non-bool --version there that breaks
	// cobra's own --version for kwok. kwok needs none of those globals.
	pflag.CommandLine = pflag.NewFlagSet(os.Args[0], pflag.ExitOnError)

	flagset := pflag.NewFlagSet("global", pflag.ContinueOnError)
	flagset.ParseErrorsAllowlist.UnknownFlags = true
	flagset.Usage = func() {}

	ctx := kwoksignals.SetupSignalContext()
	ctx, logger := kwoklog.InitFlags(ctx, flagset)
	ctx, err := kwokconfig.InitFlags(ctx, flagset)
	if err != nil {
		fmt.Fprint(os.Stderr, flagset.FlagUsages())
		logger.Error("Init config flags", "err", err)
		return 1
	}
	command := kwokcmd.NewCommand(ctx)
	command.PersistentFlags().AddFlagSet(flagset)
	if err := command.ExecuteContext(ctx); err != nil {
		logger.Error("Execute exit", "err", err)
		return 1
	}
	return 0
}

func runVersion() int {
	for _, m := range []string{"k8s.io/kubernetes", "go.etcd.io/etcd/server/v3", "sigs.k8s.io/kwok", openshiftAPIModule} {
		v, _ := depVersion(m)
		fmt.Printf("%s %s\n", m, v)
	}
	return 0
}
