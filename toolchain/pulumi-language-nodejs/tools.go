//go:build tools

// Package tools records the language host's main package as a dependency of this module,
// so `go mod tidy` keeps every module it needs in go.sum.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
