// esx-sim serves a standalone ESX host (govmomi's vSphere API simulator) on loopback, with one running VM
// per name given on the command line, each holding the snapshot popc_clean taken while it runs: the
// pre-made worker VMs visag expects on a real ESXi host. It prints "vm NAME VM-ID SNAPSHOT-ID" for each
// (the managed object ids the host's SOAP calls name them by), then "ready HOST:PORT" once they exist, and
// serves until SIGTERM/SIGINT or until the process that started it is gone (so it never outlives a
// test that crashed). Built in GOPATH mode from Debian's golang-github-vmware-govmomi-dev; see build.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "esx-sim: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address and port to serve on (port 0: any free one)")
	user := flag.String("user", "root", "the only username the host accepts")
	password := flag.String("password", "", "the only password the host accepts (required)")
	snapshot := flag.String("snapshot", "popc_clean", "snapshot taken of every VM while it runs")
	flag.Parse()
	names := flag.Args()
	if *password == "" {
		fail("-password is required")
	}

	model := simulator.ESX()
	model.Machine = len(names)
	if err := model.Create(); err != nil {
		fail("creating the host: %v", err)
	}
	defer model.Remove()
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *password)}
	server := model.Service.NewServer()
	defer server.Close()

	ctx := context.Background()
	client, err := govmomi.NewClient(ctx, server.URL, true)
	if err != nil {
		fail("logging in: %v", err)
	}
	vms, err := find.NewFinder(client.Client).VirtualMachineList(ctx, "*")
	if err != nil && len(names) > 0 {
		fail("listing VMs: %v", err)
	}
	if len(vms) != len(names) {
		fail("the host made %d VMs, %d were asked for", len(vms), len(names))
	}
	sort.Slice(vms, func(i, j int) bool { return vms[i].Name() < vms[j].Name() })
	for i, vm := range vms {
		// The model powers its VMs on as it makes them, so the snapshot records a running VM.
		task, err := vm.Rename(ctx, names[i])
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			fail("naming VM %d %s: %v", i, names[i], err)
		}
		task, err = vm.CreateSnapshot(ctx, *snapshot, "clean state of a worker", true, false)
		var info *types.TaskInfo
		if err == nil {
			info, err = task.WaitForResult(ctx, nil)
		}
		if err != nil {
			fail("snapshot of %s: %v", names[i], err)
		}
		snapshotRef := info.Result.(types.ManagedObjectReference)
		fmt.Printf("vm %s %s %s\n", names[i], vm.Reference().Value, snapshotRef.Value)
	}
	_ = client.Logout(ctx)

	fmt.Printf("ready %s\n", server.URL.Host)
	os.Stdout.Sync()

	done := make(chan struct{}, 2)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-signals; done <- struct{}{} }()
	parent := os.Getppid()
	go func() {
		for os.Getppid() == parent {
			time.Sleep(500 * time.Millisecond)
		}
		done <- struct{}{}
	}()
	<-done
}
