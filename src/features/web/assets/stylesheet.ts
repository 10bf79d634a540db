/**
 * The pages' one stylesheet, kept as a string so `npm run build` carries it into dist/ with no copy step.
 * System fonts only: nothing is fetched from anywhere but livelink.
 */
export const STYLESHEET = String.raw`
:root {
  --ink: #001e2b;
  --ink-soft: #3d4f58;
  --muted: #5c6c75;
  --line: #d8e0e3;
  --page: #f5f7f7;
  --card: #ffffff;
  --green: #00684a;
  --green-dark: #004d37;
  --green-bright: #00ed64;
  --green-wash: #e3fcf7;
  --red: #a61b1b;
  --red-wash: #fff2f2;
  --amber: #7a4b00;
  --amber-wash: #fff8e5;
  --focus: #016bf8;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--page);
  color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif;
}
a { color: var(--green); text-underline-offset: 2px; }
a:hover { color: var(--green-dark); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
code, textarea.mono, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.875rem; }

.skip { position: absolute; left: 8px; top: -48px; z-index: 10; padding: 8px 12px; background: var(--card); color: var(--ink); border-radius: 4px; }
.skip:focus { top: 8px; }

.top { background: var(--ink); color: #fff; border-bottom: 4px solid var(--green-bright); }
.top-inner { max-width: 1120px; margin: 0 auto; padding: 10px 32px; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; }
.brand { font-weight: 700; font-size: 1.125rem; letter-spacing: 0.01em; color: #fff; text-decoration: none; display: inline-flex; align-items: center; gap: 8px; }
.brand:hover { color: #fff; }
.brand svg { width: 22px; height: 22px; }
.brand small { font-weight: 500; font-size: 0.8125rem; color: #b8c4c2; }
.nav { display: flex; flex-wrap: wrap; gap: 4px; margin-right: auto; }
.nav a { color: #e8edeb; text-decoration: none; padding: 6px 10px; border-radius: 4px; font-size: 0.9375rem; }
.nav a:hover { background: rgba(255, 255, 255, 0.1); color: #fff; }
.nav a[aria-current="page"] { background: rgba(0, 237, 100, 0.16); color: #fff; box-shadow: inset 0 -2px 0 var(--green-bright); }
.account { display: flex; align-items: center; gap: 12px; font-size: 0.875rem; color: #c1ccc6; }
.account strong { color: #fff; font-weight: 600; }
.account form { margin: 0; }
.button-quiet { background: transparent; border: 1px solid #5c6c75; color: #fff; padding: 4px 10px; border-radius: 4px; font: inherit; cursor: pointer; white-space: nowrap; }
.button-quiet:hover { border-color: #fff; }

.page { max-width: 1120px; margin: 0 auto; padding: 28px 32px 48px; }
.eyebrow { margin: 0 0 2px; color: var(--muted); font-size: 0.8125rem; font-weight: 600; text-transform: uppercase; letter-spacing: 0.06em; }
h1 { margin: 0 0 4px; font-size: 1.75rem; line-height: 1.25; }
.org { margin: 0 0 24px; color: var(--ink-soft); }
.org code { color: var(--muted); }
h2 { margin: 0 0 8px; font-size: 1.25rem; line-height: 1.3; }
h3 { margin: 20px 0 8px; font-size: 1rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 24px; margin: 0 0 20px; }
.card > p:first-of-type { margin-top: 0; }
.lead { color: var(--ink-soft); max-width: 70ch; }

.alert { border-radius: 6px; padding: 12px 16px; margin: 0 0 16px; border: 1px solid; }
.alert p { margin: 0; }
.alert p + p { margin-top: 4px; }
.alert-error { background: var(--red-wash); border-color: #f5b5b5; color: var(--red); }
.alert-success { background: var(--green-wash); border-color: #9de8cf; color: var(--green-dark); }
.alert-warning { background: var(--amber-wash); border-color: #f2d48c; color: var(--amber); }

.status { display: grid; grid-template-columns: max-content 1fr; gap: 8px 24px; margin: 16px 0 20px; }
.status dt { color: var(--muted); font-weight: 600; font-size: 0.875rem; padding-top: 1px; }
.status dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 0.8125rem; font-weight: 700; letter-spacing: 0.04em; border: 1px solid; }
.badge-synced { background: var(--green-wash); color: var(--green-dark); border-color: #9de8cf; }
.badge-not-synced { background: var(--red-wash); color: var(--red); border-color: #f5b5b5; }
.badge-pending { background: var(--amber-wash); color: var(--amber); border-color: #f2d48c; }
.when { color: var(--muted); }

.stack { display: grid; grid-template-columns: minmax(0, 1fr); gap: 8px; max-width: 720px; }
label { font-weight: 600; }
.hint { margin: 0; color: var(--muted); font-size: 0.875rem; }
.field-error { margin: 0; color: var(--red); font-size: 0.875rem; font-weight: 600; }
.status dd.field-error { font-size: 1rem; font-weight: 400; }
input[type="text"], input[type="password"], textarea {
  width: 100%; padding: 10px 12px; font: inherit; color: var(--ink);
  background: #fff; border: 1px solid #889397; border-radius: 6px;
}
select {
  width: 100%; padding: 9px 12px; font: inherit; color: var(--ink);
  background: #fff; border: 1px solid #889397; border-radius: 6px;
}
select:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; border-color: var(--focus); }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px 14px; margin: 8px 0 0; display: grid; gap: 8px; min-width: 0; }
legend { font-weight: 600; padding: 0 4px; }
label.check { display: flex; align-items: flex-start; gap: 8px; font-weight: 400; }
label.check input { margin-top: 0.3em; flex: none; width: 1.05em; height: 1.05em; accent-color: var(--green); }
label.check.danger { color: var(--red); }
label .sub { font-weight: 400; color: var(--muted); }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 8px 16px; }
.cell-action { display: block; margin-top: 6px; white-space: nowrap; }
td .button { padding: 5px 12px; }
textarea { resize: vertical; min-height: 5.5rem; }
textarea.mono { word-break: break-all; }
input:focus-visible, textarea:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; border-color: var(--focus); }
[aria-invalid="true"] { border-color: var(--red); }
.actions { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; margin-top: 8px; }
.actions form { margin: 0; }
.button {
  display: inline-block; padding: 9px 18px; border-radius: 6px; border: 1px solid var(--green);
  background: var(--green); color: #fff; font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; line-height: 1.4;
}
.button:hover { background: var(--green-dark); border-color: var(--green-dark); color: #fff; }
.button-secondary { background: #fff; color: var(--green); }
.button-secondary:hover { background: var(--green-wash); color: var(--green-dark); }
.button-danger { background: #fff; color: var(--red); border-color: var(--red); }
.button-danger:hover { background: var(--red-wash); color: var(--red); border-color: var(--red); }
.button-danger.solid { background: var(--red); color: #fff; }
.button-danger.solid:hover { background: #861414; color: #fff; }
.note { color: var(--ink-soft); background: var(--page); border-left: 4px solid var(--line); padding: 8px 12px; margin: 16px 0 0; }

.token { font-size: 0.9375rem; min-height: 7rem; background: #fbfcfc; }
.copy-status { margin: 0; min-height: 1.5em; color: var(--green-dark); font-weight: 600; }
ol.steps { padding-left: 1.25rem; margin: 8px 0 0; }
ol.steps li { margin: 4px 0; }

.table-scroll { position: relative; overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9375rem; }
caption { text-align: left; padding: 10px 12px; color: var(--muted); font-size: 0.875rem; caption-side: top; }
th, td { text-align: left; padding: 10px 12px; border-top: 1px solid var(--line); vertical-align: top; }
thead th { background: #f0f3f3; border-top: 0; font-size: 0.8125rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--ink-soft); white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
th .sub, td .sub { display: block; font-weight: 400; color: var(--muted); font-size: 0.8125rem; }
.empty { color: var(--ink-soft); margin: 0; }

.login { max-width: 420px; margin: 48px auto; }
.login h1 { font-size: 1.5rem; }
.login .card { padding: 28px; }
.footer-note { color: var(--muted); font-size: 0.875rem; margin-top: 16px; }

@media (max-width: 640px) {
  .top-inner { padding: 10px 16px; gap: 8px 12px; }
  .nav { order: 3; width: 100%; margin-right: 0; }
  .account { order: 2; width: 100%; justify-content: space-between; }
  .account span { min-width: 0; }
  .page { padding: 20px 16px 40px; }
  .card { padding: 18px 16px; }
  h1 { font-size: 1.5rem; }
  .status { grid-template-columns: 1fr; gap: 2px; }
  .pair { grid-template-columns: 1fr; }
  .status dd { margin-bottom: 10px; }
  .actions .button, .actions form, .actions form .button { width: 100%; text-align: center; }
  .login { margin: 24px auto; }
}
`;
