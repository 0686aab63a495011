// Command command-provider is the SSH client of @pulumi/command's remote.Command (provider
// v1.2.1), rebuilt for the tests on the library and with the settings that provider uses, since
// its Go module cannot be fetched here. Each behaviour below names the provider source it follows
// (github.com/pulumi/pulumi-command, provider/pkg/provider/remote at tag v1.2.1). It runs one
// command with its stdin, as a step of `pulumi up` does, and prints what the provider would:
// the command's stdout and stderr, or on failure the provider's error text.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func main() {
	host := flag.String("host", "", "connection.host")
	port := flag.Int("port", 22, "connection.port")
	user := flag.String("user", "root", "connection.user")
	hostKey := flag.String("host-key", "", "connection.hostKey (an authorized_keys line); empty: not checked")
	keyFile := flag.String("private-key-file", "", "file holding connection.privateKey")
	passwordEnv := flag.String("private-key-password-env", "", "variable holding connection.privateKeyPassword")
	agentSocket := flag.String("agent-socket", "", "connection.agentSocketPath (default: SSH_AUTH_SOCK)")
	command := flag.String("command", "", "the command's create script")
	timeout := flag.Int("per-dial-timeout", 15, "connection.perDialTimeout in seconds")
	flag.Parse()

	config, err := clientConfig(*user, *hostKey, *keyFile, *passwordEnv, *agentSocket, *timeout)
	if err != nil {
		fail(err)
	}
	// connection.go Dial: ssh.Dial("tcp", net.JoinHostPort(host, port), config).
	client, err := ssh.Dial("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)), config)
	if err != nil {
		fail(err)
	}
	defer client.Close()
	os.Exit(run(client, *command))
}

// clientConfig follows connection.go (connectionBase.SSHConfig).
func clientConfig(user, hostKey, keyFile, passwordEnv, agentSocket string, timeout int) (*ssh.ClientConfig, error) {
	config := &ssh.ClientConfig{User: user, Timeout: time.Duration(timeout) * time.Second}
	if hostKey != "" {
		// A pinned host key: FixedHostKey, and HostKeyAlgorithms is exactly the key's type
		// (for RSA keys "ssh-rsa").
		publicKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostKey))
		if err != nil {
			return nil, fmt.Errorf("failed to parse host key: %w", err)
		}
		config.HostKeyCallback = ssh.FixedHostKey(publicKey)
		config.HostKeyAlgorithms = []string{publicKey.Type()}
	} else {
		config.HostKeyCallback = ssh.InsecureIgnoreHostKey()
	}
	// The private key first (with its passphrase when one is given) ...
	if keyFile != "" {
		pem, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, err
		}
		var signer ssh.Signer
		if passwordEnv != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(os.Getenv(passwordEnv)))
		} else {
			signer, err = ssh.ParsePrivateKey(pem)
		}
		if err != nil {
			return nil, err
		}
		config.Auth = append(config.Auth, ssh.PublicKeys(signer))
	}
	// ... then every key of the agent (agentSocketPath, else SSH_AUTH_SOCK), in agent order.
	if agentSocket == "" {
		agentSocket = os.Getenv("SSH_AUTH_SOCK")
	}
	if agentSocket != "" {
		conn, err := net.Dial("unix", agentSocket)
		if err != nil {
			return nil, err
		}
		config.Auth = append(config.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return config, nil
}

// run follows commandOutputs.go (CommandOutputs.run): stdin from the resource, stdout and stderr
// captured apart and merged, and on failure the error "<err>: running <quoted command>:\n<merged>".
func run(client *ssh.Client, command string) int {
	session, err := client.NewSession()
	if err != nil {
		fail(err)
	}
	defer session.Close()
	stdin, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	if len(stdin) > 0 {
		session.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr, merged bytes.Buffer
	session.Stdout = io.MultiWriter(&stdout, &merged)
	session.Stderr = io.MultiWriter(&stderr, &merged)
	if err := session.Run(command); err != nil {
		fmt.Fprintf(os.Stderr, "%v: running %q:\n%s", err, command, merged.String())
		return 1
	}
	os.Stdout.Write(stdout.Bytes())
	os.Stderr.Write(stderr.Bytes())
	return 0
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}
