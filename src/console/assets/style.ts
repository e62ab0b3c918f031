/**
 * @module The console's one stylesheet. System fonts only (no font is fetched from
 * anywhere): the CJK faces Windows, macOS, Kylin/UOS and Debian ship, then sans-serif.
 * Two columns (table beside chart) from 1100 px, one column on a tablet in portrait.
 */
export const CONSOLE_CSS = `
*{box-sizing:border-box}
html{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif;font-size:15px;color:#1f2933;background:#f4f6f8}
body{margin:0}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem 1.25rem;padding:.6rem 1.5rem;background:#9b1c1c;color:#fff}
.top a{color:#fff;text-decoration:none}
.top nav a{padding:.25rem .5rem;border-radius:4px;background:rgba(255,255,255,.12)}
.brand{font-weight:700;font-size:1.05rem}
.spacer{flex:1}
.who{font-size:.9rem;opacity:.9}
form.inline{display:inline;margin:0}
button{font:inherit;padding:.3rem .8rem;border:1px solid #9b1c1c;border-radius:4px;background:#fff;color:#9b1c1c;cursor:pointer}
.top button{border-color:#fff}
main{max-width:1400px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}
h2{font-size:1.1rem;margin:0 0 .75rem;padding-bottom:.4rem;border-bottom:1px solid #d9dee3}
section{background:#fff;border:1px solid #d9dee3;border-radius:6px;padding:1rem 1.25rem;margin-bottom:1rem}
.pair{display:grid;grid-template-columns:1fr;gap:1rem;align-items:start}
@media (min-width:1100px){.pair{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}
.chart-box{margin:0}
.chart{width:100%;height:300px}
figcaption{font-size:.85rem;color:#52606d;text-align:center}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{padding:.35rem .55rem;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
th{background:#f0f2f4;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.overdue td{background:#fdecea}
.badge{display:inline-block;padding:0 .45rem;border-radius:3px;font-size:.82rem;background:#e4e7eb}
.badge.overdue,.badge.fail,.badge.open-alert{background:#f8d7da;color:#8a1c1c}
.badge.ok{background:#d8f0dd;color:#1e6b34}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:.5rem 1rem;margin:0 0 .75rem}
.figures div{background:#f7f8fa;border-radius:4px;padding:.5rem .75rem}
.figures dt{font-size:.82rem;color:#52606d}
.figures dd{margin:.15rem 0 0;font-size:1.1rem;font-weight:600;font-variant-numeric:tabular-nums}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin-bottom:.75rem}
.filters input{font:inherit;padding:.2rem .4rem}
.notice{padding:.5rem .75rem;border-radius:4px}
.notice.ok{background:#d8f0dd}
.notice.error{background:#f8d7da}
.empty{color:#52606d}
.sign-in{max-width:560px}
.sign-in .token-input{width:100%;font:inherit;font-family:monospace;padding:.4rem}
a.csv{display:inline-block;margin:.25rem 0 .75rem}
`;
