// Package parallel keeps a package's tests parallel by default. Check reads the package's test
// files and fails for every top-level test that does not start with t.Parallel(), unless its doc
// comment gives the reason it cannot ("Not parallel: ..."), such as a test that sets the
// process's environment with t.Setenv. A package opts in with one test:
//
//	func TestEveryTestIsParallel(t *testing.T) {
//		t.Parallel()
//		parallel.Check(t)
//	}
package parallel

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Marker is how a test's doc comment says why it does not call t.Parallel().
const Marker = "Not parallel:"

// Check fails t for every TestXxx function of the *_test.go files in the current directory (the
// package's, under go test) whose body does not begin with a call to Parallel on its
// *testing.T, unless its doc comment holds Marker and a reason.
func Check(t *testing.T) {
	t.Helper()
	bad, err := Offenders(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("%s: %s does not start with t.Parallel() (or say %q and why in its doc comment)", b.Pos, b.Name, Marker)
	}
}

// Offender is a test that is neither parallel nor excused.
type Offender struct {
	Name string
	Pos  string
}

// Offenders lists the tests of the *_test.go files in dir that are neither parallel nor excused.
func Offenders(dir string) ([]Offender, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	fset := token.NewFileSet()
	var out []Offender
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Body == nil || !isTest(fn) {
				continue
			}
			if fn.Doc != nil && excused(fn.Doc.Text()) {
				continue
			}
			if !startsWithParallel(fn) {
				out = append(out, Offender{Name: fn.Name.Name, Pos: fset.Position(fn.Pos()).String()})
			}
		}
	}
	return out, nil
}

// isTest reports whether fn is func TestXxx(x *testing.T), TestMain excepted.
func isTest(fn *ast.FuncDecl) bool {
	name := fn.Name.Name
	if !strings.HasPrefix(name, "Test") || name == "TestMain" {
		return false
	}
	if rest := name[len("Test"):]; rest != "" && strings.ToLower(rest[:1]) == rest[:1] && rest[:1] != "_" {
		return false // Testxyz is not a test
	}
	params := fn.Type.Params.List
	if len(params) != 1 || len(params[0].Names) > 1 {
		return false
	}
	star, ok := params[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "T"
}

func excused(doc string) bool {
	i := strings.Index(doc, Marker)
	return i >= 0 && strings.TrimSpace(doc[i+len(Marker):]) != ""
}

// startsWithParallel reports whether fn's first statement is <its parameter>.Parallel().
func startsWithParallel(fn *ast.FuncDecl) bool {
	if len(fn.Body.List) == 0 || len(fn.Type.Params.List[0].Names) == 0 {
		return false
	}
	param := fn.Type.Params.List[0].Names[0].Name
	es, ok := fn.Body.List[0].(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok || len(call.Args) != 0 {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Parallel" {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == param
}
