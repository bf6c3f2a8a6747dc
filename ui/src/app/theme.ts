import { Badge, createTheme } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'blue',
  // Darker shades than Mantine's default keep white text on filled buttons above WCAG AA contrast.
  primaryShade: { light: 8, dark: 8 },
  fontFamily: "'Inter Variable', system-ui, sans-serif",
  defaultRadius: 'sm',
  components: {
    // Light badges (pale tint, dark text: see global.css) read well in both schemes; filled ones in bright hues do not.
    Badge: Badge.extend({ defaultProps: { variant: 'light' } }),
  },
});
