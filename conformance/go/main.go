// Command conformance drives a started livelink with MongoDB's own Go client code and prints one JSON
// line per check: {"client","operation","expected","got","ok"}.
//
// The client stack is the one mongocli and the Atlas CLI are built on:
//   - go.mongodb.org/atlas (mongodbatlas v0.38.0): its LiveMigration service (CreateLinkToken,
//     DeleteLinkToken) for the target (Atlas) role, used as they are;
//   - the same module's request core (Client.NewRequest / Client.Do / CheckResponse / ErrorResponse,
//     which go.mongodb.org/ops-manager reuses) on the Ops Manager paths and types of opsmngr
//     (LiveDataMigrationService, Organizations, Projects) for the source role, because the Go module
//     proxy reachable here refuses go.mongodb.org/ops-manager (see conformance/README.md);
//   - github.com/mongodb-forks/digest v1.1.0, the digest transport mongocli pins.
//
// Credentials and URLs come from flags or the LIVELINK_CONFORMANCE_* environment variables.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mongodb-forks/digest"
	atlas "go.mongodb.org/atlas/mongodbatlas"
)

const (
	clientAtlas = "go mongodbatlas v0.38.0"
	clientOM    = "go mongodbatlas core (OM paths)"
	clientCore  = "go mongodbatlas core (Atlas paths)"
	// A private key no API key has: the digest will not verify.
	wrongPrivateKey = "00000000-0000-4000-8000-000000000000"
	atlasV2Media    = "application/vnd.atlas.2023-01-01+json"
)

// The Ops Manager paths, as go.mongodb.org/ops-manager builds them (opsmngr/live_data_migration.go,
// opsmngr/organizations.go, opsmngr/projects.go).
const (
	omOrgsPath          = "api/public/v1.0/orgs"
	omOrgPath           = "api/public/v1.0/orgs/%s"
	omOrgProjectsPath   = "api/public/v1.0/orgs/%s/groups"
	omProjectPath       = "api/public/v1.0/groups/%s"
	omMigrationLinkPath = "api/public/v1.0/orgs/%s/liveExport/migrationLink"
	omProjectsPath      = "api/public/v1.0/groups"
	omOrgUsersPath      = "api/public/v1.0/orgs/%s/users"
	// opsmngr's APIKeys and AccessListAPIKeys are mongodbatlas's services on these paths.
	omAPIKeysPath    = "api/public/v1.0/orgs/%s/apiKeys"
	omAccessListPath = "api/public/v1.0/orgs/%s/apiKeys/%s/accessList"
)

// apiKeysResponse is mongodbatlas's (unexported) answer of APIKeys.List.
type apiKeysResponse struct {
	Links      []*atlas.Link  `json:"links,omitempty"`
	Results    []atlas.APIKey `json:"results,omitempty"`
	TotalCount int            `json:"totalCount,omitempty"`
}

// UsersResponse and User are opsmngr's (opsmngr/users.go), the fields livelink has.
type UsersResponse struct {
	Links      []*atlas.Link `json:"links"`
	Results    []*User       `json:"results"`
	TotalCount int           `json:"totalCount"`
}

type User struct {
	ID       string `json:"id,omitempty"`
	Username string `json:"username"`
	Roles    []struct {
		RoleName string `json:"roleName"`
		OrgID    string `json:"orgId,omitempty"`
	} `json:"roles,omitempty"`
	TeamIds []string `json:"teamIds,omitempty"`
}

// The Atlas availableProjects paths (v1 and v2); the v1 Go client has no method for them.
const (
	atlasV1AvailableProjectsPath = "api/atlas/v1.0/orgs/%s/liveMigrations/availableProjects"
	atlasV2AvailableProjectsPath = "api/atlas/v2/orgs/%s/liveMigrations/availableProjects"
)

// ConnectionStatus is opsmngr.ConnectionStatus.
type ConnectionStatus struct {
	Status string `json:"status,omitempty"`
}

// AvailableProject is Atlas's AvailableProjectView / LiveImportAvailableProject.
type AvailableProject struct {
	ProjectID      string                `json:"projectId"`
	Name           string                `json:"name"`
	Deployments    []AvailableDeployment `json:"deployments"`
	MigrationHosts []string              `json:"migrationHosts"`
}

// AvailableDeployment is Atlas's AvailableDeploymentView / AvailableClustersDeployment.
type AvailableDeployment struct {
	ClusterID                   string `json:"clusterId,omitempty"`
	Name                        string `json:"name"`
	MongoDBVersion              string `json:"mongoDBVersion"`
	FeatureCompatibilityVersion string `json:"featureCompatibilityVersion"`
	Managed                     bool   `json:"managed"`
	Sharded                     bool   `json:"sharded"`
	TLSEnabled                  bool   `json:"tlsEnabled"`
}

type side struct {
	url, org, otherOrg, publicKey, privateKey string
	// probePublicKey is another key of the organization, used only with a wrong private key: livelink
	// blocks a (public key, address) pair for 300 s after 5 failed digests, so the flow's key is spared.
	probePublicKey string
}

type config struct {
	source, target side
	projectName    string
	migrationHost  string
	// targetProject is a project of the target organization, for Atlas's getProject (optional).
	targetProject string
}

type check struct {
	Client    string `json:"client"`
	Operation string `json:"operation"`
	Expected  string `json:"expected"`
	Got       string `json:"got"`
	OK        bool   `json:"ok"`
}

var failures int

func emit(client, operation, expected, got string, ok bool) {
	line, _ := json.Marshal(check{Client: client, Operation: operation, Expected: expected, Got: got, OK: ok})
	fmt.Println(string(line))
	if !ok {
		failures++
	}
}

// expectEqual reports a check whose outcome is a plain string compared with what was expected.
func expectEqual(client, operation, expected, got string) bool {
	ok := expected == got
	emit(client, operation, expected, got, ok)
	return ok
}

func main() {
	cfg := parseConfig()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run(ctx, cfg)
	if failures > 0 {
		os.Exit(1)
	}
}

func parseConfig() config {
	env := func(name string) string { return os.Getenv("LIVELINK_CONFORMANCE_" + name) }
	var c config
	flag.StringVar(&c.source.url, "source-url", env("SOURCE_URL"), "base URL of the source (Ops Manager) role")
	flag.StringVar(&c.source.org, "source-org", env("SOURCE_ORG"), "source organization id")
	flag.StringVar(&c.source.otherOrg, "source-other-org", env("SOURCE_OTHER_ORG"), "a source organization the source key is not a member of")
	flag.StringVar(&c.source.publicKey, "source-public-key", env("SOURCE_PUBLIC_KEY"), "source ORG_OWNER public key")
	flag.StringVar(&c.source.privateKey, "source-private-key", env("SOURCE_PRIVATE_KEY"), "source ORG_OWNER private key")
	flag.StringVar(&c.target.url, "target-url", env("TARGET_URL"), "base URL of the target (Atlas) role")
	flag.StringVar(&c.target.org, "target-org", env("TARGET_ORG"), "target organization id")
	flag.StringVar(&c.target.otherOrg, "target-other-org", env("TARGET_OTHER_ORG"), "a target organization the target key is not a member of")
	flag.StringVar(&c.target.publicKey, "target-public-key", env("TARGET_PUBLIC_KEY"), "target ORG_OWNER public key")
	flag.StringVar(&c.target.privateKey, "target-private-key", env("TARGET_PRIVATE_KEY"), "target ORG_OWNER private key")
	flag.StringVar(&c.source.probePublicKey, "source-probe-public-key", env("SOURCE_PROBE_PUBLIC_KEY"), "source public key for the wrong-private-key checks (default: -source-public-key)")
	flag.StringVar(&c.target.probePublicKey, "target-probe-public-key", env("TARGET_PROBE_PUBLIC_KEY"), "target public key for the wrong-private-key checks (default: -target-public-key)")
	flag.StringVar(&c.projectName, "project-name", envOr(env("PROJECT_NAME"), "Demo Project"), "name of the source project that has a deployment and a migration host")
	flag.StringVar(&c.migrationHost, "migration-host", env("MIGRATION_HOST"), "the migration host of that project (optional)")
	flag.StringVar(&c.targetProject, "target-project", env("TARGET_PROJECT"), "a project of the target organization (optional)")
	flag.Parse()
	missing := []string{}
	for name, value := range map[string]string{
		"source-url": c.source.url, "source-org": c.source.org, "source-other-org": c.source.otherOrg,
		"source-public-key": c.source.publicKey, "source-private-key": c.source.privateKey,
		"target-url": c.target.url, "target-org": c.target.org, "target-other-org": c.target.otherOrg,
		"target-public-key": c.target.publicKey, "target-private-key": c.target.privateKey,
	} {
		if value == "" {
			missing = append(missing, "-"+name)
		}
	}
	c.source.probePublicKey = envOr(c.source.probePublicKey, c.source.publicKey)
	c.target.probePublicKey = envOr(c.target.probePublicKey, c.target.publicKey)
	if len(missing) > 0 {
		sort.Strings(missing)
		fmt.Fprintf(os.Stderr, "conformance: missing %s (flags or LIVELINK_CONFORMANCE_* variables)\n", strings.Join(missing, ", "))
		os.Exit(2)
	}
	return c
}

func envOr(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

// newClient is how mongocli builds its clients: a digest transport wrapped in an http.Client, and the
// base URL with a trailing slash.
func newClient(baseURL, publicKey, privateKey string) *atlas.Client {
	hc, err := digest.NewTransport(publicKey, privateKey).Client()
	if err != nil {
		fmt.Fprintf(os.Stderr, "conformance: digest transport: %v\n", err)
		os.Exit(2)
	}
	hc.Timeout = 30 * time.Second
	c, err := atlas.New(hc, atlas.SetBaseURL(strings.TrimRight(baseURL, "/")+"/"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "conformance: client: %v\n", err)
		os.Exit(2)
	}
	return c
}

// do is what every opsmngr service method does: NewRequest, then Do decoding into v.
func do(ctx context.Context, c *atlas.Client, method, path string, body, v any, accept string) (*atlas.Response, error) {
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return c.Do(ctx, req, v)
}

// outcome renders what the client returned: "201", or "400 MISSING_ATTRIBUTE" decoded from the
// client's ErrorResponse, with a note when the error body did not decode the way the client expects.
func outcome(resp *atlas.Response, err error) string {
	if err == nil {
		if resp == nil {
			return "no response"
		}
		return fmt.Sprint(resp.StatusCode)
	}
	var apiErr *atlas.ErrorResponse
	if errors.As(err, &apiErr) {
		status := apiErr.Response.StatusCode
		got := fmt.Sprintf("%d %s", status, apiErr.ErrorCode)
		switch {
		case apiErr.HTTPCode != status:
			got += fmt.Sprintf(" (ErrorResponse.HTTPCode %d, Reason %q: body did not decode)", apiErr.HTTPCode, apiErr.Reason)
		case apiErr.Reason == "" || apiErr.Detail == "":
			got += " (ErrorResponse without reason or detail)"
		}
		return strings.TrimSpace(got)
	}
	if resp != nil {
		return fmt.Sprintf("%d (client error: %v)", resp.StatusCode, err)
	}
	return "client error: " + err.Error()
}

func run(ctx context.Context, cfg config) {
	om := newClient(cfg.source.url, cfg.source.publicKey, cfg.source.privateKey)
	omWrong := newClient(cfg.source.url, cfg.source.probePublicKey, wrongPrivateKey)
	at := newClient(cfg.target.url, cfg.target.publicKey, cfg.target.privateKey)
	atWrong := newClient(cfg.target.url, cfg.target.probePublicKey, wrongPrivateKey)
	org := cfg.source.org
	linkPath := fmt.Sprintf(omMigrationLinkPath, org)
	statusPath := linkPath + "/status"

	status := func(operation, expected string) {
		var s ConnectionStatus
		resp, err := do(ctx, om, http.MethodGet, statusPath, nil, &s, "")
		got := outcome(resp, err)
		if err == nil {
			got += " " + s.Status
		}
		expectEqual(clientOM, operation, expected, got)
	}
	connect := func(client *atlas.Client, orgID, token, operation, expected string) {
		var s ConnectionStatus
		resp, err := do(ctx, client, http.MethodPost, fmt.Sprintf(omMigrationLinkPath, orgID), &atlas.LinkToken{LinkToken: token}, &s, "")
		got := outcome(resp, err)
		if err == nil {
			got += " " + s.Status
		}
		expectEqual(clientOM, operation, expected, got)
	}

	// The source's inventory, as opsmngr reads it.
	projectID := readSourceInventory(ctx, om, cfg)
	status("ConnectionStatus before any link", "200 NOT_SYNCED")

	// Target: a link-token, with the v1 client's own method.
	token := createLinkToken(ctx, at, cfg.target.org, []string{"127.0.0.1"}, "CreateLinkToken accessListIps [127.0.0.1]")
	checkTokenFormat(token, cfg.target.org)

	// Source: the error paths first, while nothing is linked.
	connect(om, org, "", "ConnectOrganizations without linkToken (body {})", "400 MISSING_ATTRIBUTE")
	connect(om, org, "this-is-not-a-link-token", "ConnectOrganizations garbage linkToken", "400 INVALID_ATTRIBUTE")
	connect(omWrong, org, token, "ConnectOrganizations wrong private key", "401 USER_UNAUTHORIZED")
	connect(om, cfg.source.otherOrg, token, "ConnectOrganizations another organization", "401 USER_UNAUTHORIZED")
	{
		var s ConnectionStatus
		resp, err := do(ctx, omWrong, http.MethodGet, statusPath, nil, &s, "")
		expectEqual(clientOM, "ConnectionStatus wrong private key", "401 USER_UNAUTHORIZED", outcome(resp, err))
		resp, err = do(ctx, om, http.MethodGet, fmt.Sprintf(omMigrationLinkPath, cfg.source.otherOrg)+"/status", nil, &s, "")
		expectEqual(clientOM, "ConnectionStatus another organization", "401 USER_UNAUTHORIZED", outcome(resp, err))
	}

	// The flow.
	if token != "" {
		connect(om, org, token, "ConnectOrganizations", "201 SYNCED")
		status("ConnectionStatus after ConnectOrganizations", "200 SYNCED")
		listAvailableProjects(ctx, at, cfg, projectID)
		connect(om, org, token, "ConnectOrganizations again with the same token (re-sync)", "201 SYNCED")
	}
	{
		resp, err := do(ctx, om, http.MethodDelete, linkPath, nil, nil, "")
		expectEqual(clientOM, "DeleteConnection", "204", outcome(resp, err))
		status("ConnectionStatus after DeleteConnection", "200 NOT_SYNCED")
		resp, err = do(ctx, om, http.MethodDelete, linkPath, nil, nil, "")
		got := outcome(resp, err)
		// livelink's documented choice: 404 in the error format, whatever the code.
		expectEqual(clientOM, "DeleteConnection with no link", "404 (error body)", statusWithErrorBody(got, 404))
	}

	// Target: the error paths, then delete the tokens twice.
	{
		_, resp, err := atWrong.LiveMigration.CreateLinkToken(ctx, cfg.target.org, &atlas.TokenCreateRequest{AccessListIPs: []string{}})
		expectEqual(clientAtlas, "CreateLinkToken wrong private key", "401 USER_UNAUTHORIZED", outcome(resp, err))
		_, resp, err = at.LiveMigration.CreateLinkToken(ctx, cfg.target.otherOrg, &atlas.TokenCreateRequest{AccessListIPs: []string{}})
		expectEqual(clientAtlas, "CreateLinkToken another organization", "401 USER_UNAUTHORIZED", outcome(resp, err))
		var projects []AvailableProject
		resp, err = do(ctx, at, http.MethodGet, fmt.Sprintf(atlasV1AvailableProjectsPath, cfg.target.otherOrg), nil, &projects, "")
		expectEqual(clientCore, "availableProjects another organization", "401 USER_UNAUTHORIZED", outcome(resp, err))
	}
	{
		resp, err := at.LiveMigration.DeleteLinkToken(ctx, cfg.target.org)
		expectEqual(clientAtlas, "DeleteLinkToken", "204", outcome(resp, err))
		resp, err = at.LiveMigration.DeleteLinkToken(ctx, cfg.target.org)
		// Recorded real Atlas traffic (2026): 404 UNEXPECTED_ERROR "Could not find the requested external organization link."
		expectEqual(clientAtlas, "DeleteLinkToken again (nothing left)", "404 UNEXPECTED_ERROR", outcome(resp, err))
	}
	if token != "" {
		// The token's key is gone: the target refuses it, so the source answers 400 and stores nothing.
		var s ConnectionStatus
		resp, err := do(ctx, om, http.MethodPost, linkPath, &atlas.LinkToken{LinkToken: token}, &s, "")
		expectEqual(clientOM, "ConnectOrganizations with a revoked token", "400 (error body)", statusWithErrorBody(outcome(resp, err), 400))
		status("ConnectionStatus after the revoked token", "200 NOT_SYNCED")
	}

	// The v1 client sends {"accessListIps":null} when the list is nil (no omitempty on the field).
	if t := createLinkToken(ctx, at, cfg.target.org, nil, "CreateLinkToken accessListIps nil (sent as null)"); t != "" {
		resp, err := at.LiveMigration.DeleteLinkToken(ctx, cfg.target.org)
		expectEqual(clientAtlas, "DeleteLinkToken (clean-up)", "204", outcome(resp, err))
	}

	sourceAroundTheLink(ctx, om, cfg, projectID)
	targetAroundTheLink(ctx, at, cfg)
}

// sourceAroundTheLink: what automation reads and manages on Ops Manager around the link, on opsmngr's
// paths and types: Projects.List, Organizations.ListUsers, and the organization's API keys with their
// access lists (opsmngr's APIKeys and AccessListAPIKeys).
func sourceAroundTheLink(ctx context.Context, om *atlas.Client, cfg config, projectID string) {
	org := cfg.source.org
	{
		projects := new(atlas.Projects)
		resp, err := do(ctx, om, http.MethodGet, omProjectsPath, nil, projects, "")
		got := outcome(resp, err)
		if err == nil {
			listed := slices.ContainsFunc(projects.Results, func(p *atlas.Project) bool { return p.ID == projectID && p.OrgID == org })
			got += fmt.Sprintf(" %q listed=%t totalCount matches=%t", cfg.projectName, listed, projects.TotalCount == len(projects.Results))
		}
		expectEqual(clientOM, "Projects.List (GET groups)", fmt.Sprintf("200 %q listed=true totalCount matches=true", cfg.projectName), got)
	}
	{
		users := new(UsersResponse)
		resp, err := do(ctx, om, http.MethodGet, fmt.Sprintf(omOrgUsersPath, org), nil, users, "")
		got := outcome(resp, err)
		if err == nil {
			roles := true
			for _, u := range users.Results {
				roles = roles && len(u.Roles) == 1 && u.Roles[0].OrgID == org && u.Username != ""
			}
			got += fmt.Sprintf(" totalCount matches=%t each with its organization role=%t", users.TotalCount == len(users.Results), roles)
		}
		expectEqual(clientOM, "Organizations.ListUsers", "200 totalCount matches=true each with its organization role=true", got)
		resp, err = do(ctx, om, http.MethodGet, fmt.Sprintf(omOrgUsersPath, cfg.source.otherOrg), nil, users, "")
		expectEqual(clientOM, "Organizations.ListUsers another organization", "401 USER_UNAUTHORIZED", outcome(resp, err))
	}
	keysPath := fmt.Sprintf(omAPIKeysPath, org)
	created := new(atlas.APIKey)
	{
		resp, err := do(ctx, om, http.MethodPost, keysPath, &atlas.APIKeyInput{Desc: "conformance key", Roles: []string{"ORG_MEMBER"}}, created, "")
		got := outcome(resp, err)
		if err == nil {
			got += fmt.Sprintf(" privateKey shown=%t roles=%s", created.PrivateKey != "", roleNames(created.Roles))
		}
		expectEqual(clientOM, "APIKeys.Create", "200 privateKey shown=true roles=ORG_MEMBER", got)
		resp, err = do(ctx, om, http.MethodPost, keysPath, &atlas.APIKeyInput{Desc: "no roles"}, new(atlas.APIKey), "")
		expectEqual(clientOM, "APIKeys.Create without roles", "400 MISSING_ATTRIBUTE", outcome(resp, err))
	}
	if created.ID == "" {
		return
	}
	keyPath := keysPath + "/" + url.PathEscape(created.ID)
	{
		keys := new(apiKeysResponse)
		resp, err := do(ctx, om, http.MethodGet, keysPath, nil, keys, "")
		got := outcome(resp, err)
		if err == nil {
			i := slices.IndexFunc(keys.Results, func(k atlas.APIKey) bool { return k.ID == created.ID })
			got += fmt.Sprintf(" listed=%t privateKey shown=%t", i >= 0, i >= 0 && keys.Results[i].PrivateKey != "")
		}
		expectEqual(clientOM, "APIKeys.List", "200 listed=true privateKey shown=false", got)
		updated := new(atlas.APIKey)
		resp, err = do(ctx, om, http.MethodPatch, keyPath, &atlas.APIKeyInput{Desc: "renamed", Roles: []string{"ORG_READ_ONLY"}}, updated, "")
		got = outcome(resp, err)
		if err == nil {
			got += fmt.Sprintf(" desc=%s roles=%s", updated.Desc, roleNames(updated.Roles))
		}
		expectEqual(clientOM, "APIKeys.Update", "200 desc=renamed roles=ORG_READ_ONLY", got)
	}
	// The new key, from this machine: its access list decides, at its next request.
	key := newClient(cfg.source.url, created.PublicKey, created.PrivateKey)
	orgAsKey := func(operation, expected string) {
		resp, err := do(ctx, key, http.MethodGet, fmt.Sprintf(omOrgPath, org), nil, new(atlas.Organization), "")
		expectEqual(clientOM, operation, expected, outcome(resp, err))
	}
	listPath := fmt.Sprintf(omAccessListPath, org, created.ID)
	{
		entries := new(atlas.AccessListAPIKeys)
		resp, err := do(ctx, om, http.MethodPost, listPath, []*atlas.AccessListAPIKeysReq{{CidrBlock: "192.0.2.0/24"}}, entries, "")
		expectEqual(clientOM, "AccessListAPIKeys.Create 192.0.2.0/24", "200 totalCount=1", fmt.Sprintf("%s totalCount=%d", outcome(resp, err), entries.TotalCount))
		orgAsKey("the key from 127.0.0.1, not on its access list", "403 IP_ADDRESS_NOT_ON_ACCESS_LIST")
		resp, err = do(ctx, om, http.MethodPost, listPath, []*atlas.AccessListAPIKeysReq{{IPAddress: "127.0.0.1"}}, entries, "")
		expectEqual(clientOM, "AccessListAPIKeys.Create 127.0.0.1", "200 totalCount=2", fmt.Sprintf("%s totalCount=%d", outcome(resp, err), entries.TotalCount))
		orgAsKey("the key from 127.0.0.1, now on its access list", "200")
		entry := new(atlas.AccessListAPIKey)
		resp, err = do(ctx, om, http.MethodGet, listPath+"/"+url.PathEscape("192.0.2.0/24"), nil, entry, "")
		expectEqual(clientOM, "AccessListAPIKeys.Get 192.0.2.0%2F24", "200 cidrBlock=192.0.2.0/24", fmt.Sprintf("%s cidrBlock=%s", outcome(resp, err), entry.CidrBlock))
		resp, err = do(ctx, om, http.MethodDelete, listPath+"/127.0.0.1", nil, nil, "")
		expectEqual(clientOM, "AccessListAPIKeys.Delete 127.0.0.1", "204", outcome(resp, err))
		orgAsKey("the key from 127.0.0.1, off its access list again", "403 IP_ADDRESS_NOT_ON_ACCESS_LIST")
		resp, err = do(ctx, om, http.MethodDelete, listPath+"/127.0.0.1", nil, nil, "")
		expectEqual(clientOM, "AccessListAPIKeys.Delete an entry not on the list", "404 API_KEY_ACCESS_LIST_NOT_FOUND", outcome(resp, err))
	}
	{
		resp, err := do(ctx, om, http.MethodDelete, keyPath, nil, nil, "")
		expectEqual(clientOM, "APIKeys.Delete", "204", outcome(resp, err))
		resp, err = do(ctx, om, http.MethodGet, keyPath, nil, new(atlas.APIKey), "")
		expectEqual(clientOM, "APIKeys.Get a deleted key", "400 API_KEY_NOT_FOUND", outcome(resp, err))
	}
}

// targetAroundTheLink: the same on Atlas, with the v1 client's own APIKeys, AccessListAPIKeys and
// Projects services, used as they are.
func targetAroundTheLink(ctx context.Context, at *atlas.Client, cfg config) {
	org := cfg.target.org
	if cfg.targetProject != "" {
		project, resp, err := at.Projects.GetOneProject(ctx, cfg.targetProject)
		got := outcome(resp, err)
		if err == nil {
			got += fmt.Sprintf(" orgId matches=%t created set=%t", project.OrgID == org, project.Created != "")
		}
		expectEqual(clientAtlas, "Projects.GetOneProject", "200 orgId matches=true created set=true", got)
	}
	created, resp, err := at.APIKeys.Create(ctx, org, &atlas.APIKeyInput{Desc: "conformance key", Roles: []string{"ORG_READ_ONLY"}})
	got := outcome(resp, err)
	if err == nil {
		got += fmt.Sprintf(" privateKey shown=%t", created.PrivateKey != "")
	}
	expectEqual(clientAtlas, "APIKeys.Create", "200 privateKey shown=true", got)
	if err != nil {
		return
	}
	keys, resp, err := at.APIKeys.List(ctx, org, nil)
	got = outcome(resp, err)
	if err == nil {
		got += fmt.Sprintf(" listed=%t", slices.ContainsFunc(keys, func(k atlas.APIKey) bool { return k.ID == created.ID && k.PrivateKey == "" }))
	}
	expectEqual(clientAtlas, "APIKeys.List", "200 listed=true", got)
	updated, resp, err := at.APIKeys.Update(ctx, org, created.ID, &atlas.APIKeyInput{Desc: "renamed"})
	got = outcome(resp, err)
	if err == nil {
		got += fmt.Sprintf(" desc=%s roles=%s", updated.Desc, roleNames(updated.Roles))
	}
	expectEqual(clientAtlas, "APIKeys.Update desc only", "200 desc=renamed roles=ORG_READ_ONLY", got)
	entries, resp, err := at.AccessListAPIKeys.Create(ctx, org, created.ID, []*atlas.AccessListAPIKeysReq{{IPAddress: "198.51.100.7"}})
	got = outcome(resp, err)
	if err == nil {
		got += fmt.Sprintf(" totalCount=%d", entries.TotalCount)
	}
	expectEqual(clientAtlas, "AccessListAPIKeys.Create", "200 totalCount=1", got)
	entry, resp, err := at.AccessListAPIKeys.Get(ctx, org, created.ID, "198.51.100.7")
	got = outcome(resp, err)
	if err == nil {
		got += fmt.Sprintf(" ipAddress=%s cidrBlock=%s", entry.IPAddress, entry.CidrBlock)
	}
	expectEqual(clientAtlas, "AccessListAPIKeys.Get", "200 ipAddress=198.51.100.7 cidrBlock=198.51.100.7/32", got)
	list, resp, err := at.AccessListAPIKeys.List(ctx, org, created.ID, nil)
	got = outcome(resp, err)
	if err == nil {
		got += fmt.Sprintf(" totalCount=%d", list.TotalCount)
	}
	expectEqual(clientAtlas, "AccessListAPIKeys.List", "200 totalCount=1", got)
	resp, err = at.AccessListAPIKeys.Delete(ctx, org, created.ID, "198.51.100.7")
	expectEqual(clientAtlas, "AccessListAPIKeys.Delete", "204", outcome(resp, err))
	resp, err = at.APIKeys.Delete(ctx, org, created.ID)
	expectEqual(clientAtlas, "APIKeys.Delete", "204", outcome(resp, err))
	_, resp, err = at.APIKeys.Get(ctx, org, created.ID)
	expectEqual(clientAtlas, "APIKeys.Get a deleted key", "400 API_KEY_NOT_FOUND", outcome(resp, err))
}

func roleNames(roles []atlas.AtlasRole) string {
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		names = append(names, r.RoleName)
	}
	return strings.Join(names, ",")
}

// statusWithErrorBody turns "404 SOME_CODE" into "404 (error body)" when the status matches and the
// client decoded an error code, so a check can accept any code livelink documents for that case.
func statusWithErrorBody(got string, status int) string {
	prefix := fmt.Sprintf("%d ", status)
	if strings.HasPrefix(got, prefix) && !strings.Contains(got, "(") && len(got) > len(prefix) {
		return prefix + "(error body)"
	}
	return got
}

func readSourceInventory(ctx context.Context, om *atlas.Client, cfg config) string {
	{
		orgs := new(atlas.Organizations)
		resp, err := do(ctx, om, http.MethodGet, omOrgsPath, nil, orgs, "")
		got := outcome(resp, err)
		if err == nil {
			listed := slices.ContainsFunc(orgs.Results, func(o *atlas.Organization) bool { return o.ID == cfg.source.org })
			got += fmt.Sprintf(" totalCount=%d sourceListed=%t", orgs.TotalCount, listed)
		}
		expectEqual(clientOM, "Organizations.List", "200 totalCount=1 sourceListed=true", got)
		if err == nil {
			sv := resp.ServiceVersion()
			got := "missing"
			if sv != nil {
				got = fmt.Sprintf("gitHash set=%t versionString set=%t", sv.GitHash != "", sv.Version != "")
			}
			expectEqual(clientOM, "Response.ServiceVersion (X-MongoDB-Service-Version)", "gitHash set=true versionString set=true", got)
		}
	}
	{
		org := new(atlas.Organization)
		resp, err := do(ctx, om, http.MethodGet, fmt.Sprintf(omOrgPath, cfg.source.org), nil, org, "")
		got := outcome(resp, err)
		if err == nil {
			got += fmt.Sprintf(" id matches=%t name set=%t", org.ID == cfg.source.org, org.Name != "")
		}
		expectEqual(clientOM, "Organizations.Get", "200 id matches=true name set=true", got)
		resp, err = do(ctx, om, http.MethodGet, fmt.Sprintf(omOrgPath, cfg.source.otherOrg), nil, org, "")
		expectEqual(clientOM, "Organizations.Get another organization", "401 USER_UNAUTHORIZED", outcome(resp, err))
	}
	projectID := ""
	{
		projects := new(atlas.Projects)
		resp, err := do(ctx, om, http.MethodGet, fmt.Sprintf(omOrgProjectsPath, cfg.source.org), nil, projects, "")
		got := outcome(resp, err)
		if err == nil {
			for _, p := range projects.Results {
				if p.Name == cfg.projectName {
					projectID = p.ID
				}
			}
			got += fmt.Sprintf(" %q listed=%t", cfg.projectName, projectID != "")
		}
		expectEqual(clientOM, "Organizations.Projects", fmt.Sprintf("200 %q listed=true", cfg.projectName), got)
	}
	if projectID != "" {
		project := new(atlas.Project)
		resp, err := do(ctx, om, http.MethodGet, fmt.Sprintf(omProjectPath, projectID), nil, project, "")
		got := outcome(resp, err)
		if err == nil {
			got += fmt.Sprintf(" name=%q orgId matches=%t", project.Name, project.OrgID == cfg.source.org)
		}
		expectEqual(clientOM, "Projects.Get", fmt.Sprintf("200 name=%q orgId matches=true", cfg.projectName), got)
	}
	return projectID
}

func createLinkToken(ctx context.Context, at *atlas.Client, orgID string, ips []string, operation string) string {
	token, resp, err := at.LiveMigration.CreateLinkToken(ctx, orgID, &atlas.TokenCreateRequest{AccessListIPs: ips})
	got := outcome(resp, err)
	ok := false
	if err == nil && token != nil {
		if token.LinkToken == "" {
			got += " without linkToken"
		} else {
			got += " linkToken"
			ok = resp.StatusCode >= 200 && resp.StatusCode < 300
		}
	}
	emit(clientAtlas, operation, "2xx linkToken", got, ok)
	if !ok || token == nil {
		return ""
	}
	return token.LinkToken
}

// checkTokenFormat: real Atlas tokens are standard base64 of compact JSON with exactly the keys
// orgId, orgName, privateApiKey, publicApiKey in alphabetical order.
func checkTokenFormat(token, targetOrg string) {
	if token == "" {
		return
	}
	got := "not standard base64"
	if raw, err := base64.StdEncoding.DecodeString(token); err == nil {
		var fields map[string]string
		if err := json.Unmarshal(raw, &fields); err != nil {
			got = "base64 of something that is not a JSON object of strings"
		} else {
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			got = fmt.Sprintf("keys=%s orgId matches=%t", strings.Join(keys, ","), fields["orgId"] == targetOrg)
		}
	}
	expectEqual(clientAtlas, "linkToken format (decoded by the test)", "keys=orgId,orgName,privateApiKey,publicApiKey orgId matches=true", got)
}

func listAvailableProjects(ctx context.Context, at *atlas.Client, cfg config, projectID string) {
	for _, variant := range []struct{ label, path, accept string }{
		{"availableProjects (Atlas v1 path, Accept application/json)", atlasV1AvailableProjectsPath, ""},
		{"availableProjects (Atlas v2 path, Accept " + atlasV2Media + ")", atlasV2AvailableProjectsPath, atlasV2Media},
	} {
		var projects []AvailableProject
		resp, err := do(ctx, at, http.MethodGet, fmt.Sprintf(variant.path, cfg.target.org), nil, &projects, variant.accept)
		got := outcome(resp, err)
		expected := fmt.Sprintf("200 %q listed with its deployment and migration host", cfg.projectName)
		if err == nil {
			var found *AvailableProject
			for i := range projects {
				if projects[i].Name == cfg.projectName {
					found = &projects[i]
				}
			}
			switch {
			case found == nil:
				names := []string{}
				for _, p := range projects {
					names = append(names, p.Name)
				}
				got += fmt.Sprintf(" %q not listed (projects: %s)", cfg.projectName, strings.Join(names, ", "))
			case projectID != "" && found.ProjectID != projectID:
				got += fmt.Sprintf(" %q listed with projectId %s, not %s", cfg.projectName, found.ProjectID, projectID)
			case len(found.Deployments) == 0:
				got += fmt.Sprintf(" %q listed without deployments", cfg.projectName)
			case len(found.MigrationHosts) == 0 || (cfg.migrationHost != "" && !slices.Contains(found.MigrationHosts, cfg.migrationHost)):
				got += fmt.Sprintf(" %q listed with migration hosts %v", cfg.projectName, found.MigrationHosts)
			default:
				got += fmt.Sprintf(" %q listed with its deployment and migration host", cfg.projectName)
			}
		}
		expectEqual(clientCore, variant.label, expected, got)
	}
}
