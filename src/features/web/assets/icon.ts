/** The pages' icon (a leaf-green link), an SVG so that no image file has to be shipped. */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" aria-hidden="true">
<rect width="32" height="32" rx="7" fill="#001e2b"/>
<path d="M13.5 18.5l5-5" stroke="#00ed64" stroke-width="3" stroke-linecap="round"/>
<path d="M15 10.5l1.8-1.8a4.6 4.6 0 016.5 6.5L21.5 17M17 21.5l-1.8 1.8a4.6 4.6 0 01-6.5-6.5L10.5 15" fill="none" stroke="#ffffff" stroke-width="3" stroke-linecap="round"/>
</svg>
`;
