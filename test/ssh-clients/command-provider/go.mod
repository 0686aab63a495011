// The SSH client of @pulumi/command (see main.go), on the x/crypto version its provider v1.2.1
// pins in provider/go.mod.
module telegram-vps/test/ssh-clients/command-provider

go 1.25

require golang.org/x/crypto v0.48.0

require golang.org/x/sys v0.41.0 // indirect
