/**
 * A horizontal bar chart drawn on the server as plain SVG (no script, labels escaped by JSX),
 * with a title and description for screen readers and the same numbers as a table.
 */
export function BarChart(props: { id: string; title: string; unit: string; bars: { label: string; value: number }[] }) {
  const { bars } = props;
  const rowH = 22;
  const labelW = 150;
  const W = 720;
  const H = Math.max(1, bars.length) * rowH + 8;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const plotW = W - labelW - 90;
  const desc = bars.map((b) => `${b.label} ${b.value.toLocaleString('ja-JP')}${props.unit}`).join('、');
  return (
    <figure class="bar-chart" data-chart={props.id}>
      <svg xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${props.title}。${desc}`}>
        <title>{props.title}</title>
        {bars.map((b, i) => {
          const w = (b.value / max) * plotW;
          const y = 4 + i * rowH;
          return (
            <g>
              <text x={labelW - 6} y={y + 14} text-anchor="end" font-size="12" fill="#24292f">{b.label}</text>
              <rect x={labelW} y={y + 2} width={w.toFixed(1)} height={rowH - 6} fill="#1f5f8b"><title>{`${b.label}: ${b.value.toLocaleString('ja-JP')}${props.unit}`}</title></rect>
              <text x={(labelW + w + 6).toFixed(1)} y={y + 14} font-size="12" fill="#24292f">{`${b.value.toLocaleString('ja-JP')}${props.unit}`}</text>
            </g>
          );
        })}
      </svg>
      <figcaption class="hint">{props.title}</figcaption>
      <details>
        <summary>表で見る</summary>
        <table>
          <tbody>{bars.map((b) => <tr><th>{b.label}</th><td class="num">{b.value.toLocaleString('ja-JP')}{props.unit}</td></tr>)}</tbody>
        </table>
      </details>
    </figure>
  );
}
