package testtemporal

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func greet(ctx workflow.Context, name string) (string, error) {
	return "bonjour " + name, nil
}

func TestStart(t *testing.T) {
	hostPort := Start(t, map[string]string{"MifStatut": "Keyword", "MifPriorite": "int"})

	c, err := client.Dial(client.Options{HostPort: hostPort})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range map[string]enumspb.IndexedValueType{
		"MifStatut":   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"MifPriorite": enumspb.INDEXED_VALUE_TYPE_INT,
	} {
		if got := sa.GetCustomAttributes()[name]; got != typ {
			t.Errorf("search attribute %s: got %s, want %s", name, got, typ)
		}
	}

	// End to end: a worker runs a workflow started with a custom attribute.
	w := worker.New(c, "testtemporal", worker.Options{})
	w.RegisterWorkflow(greet)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		TaskQueue: "testtemporal",
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword("MifStatut").ValueSet("ouvert")),
	}, greet, "mif")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if got != "bonjour mif" {
		t.Errorf("workflow result %q", got)
	}
}
